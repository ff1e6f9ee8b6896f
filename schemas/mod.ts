/**
 * The JSON Schemas of what `--json` prints, one file per verb (plus `error`,
 * the shape of any failure). tests/schema_test.ts validates real output
 * against them. Their texts live in texts.ts, loaded on first read.
 */

export const SCHEMAS = [
  "add",
  "bg",
  "clean",
  "desc",
  "error",
  "exclude",
  "hosts",
  "import",
  "init",
  "inventory",
  "jobs",
  "kill",
  "leases",
  "list",
  "logs",
  "on",
  "pull",
  "push",
  "refresh",
  "rm",
  "route",
  "status",
  "tag",
  "wait",
] as const;

export type SchemaName = typeof SCHEMAS[number];

export async function readSchema(name: SchemaName): Promise<Record<string, unknown>> {
  const { TEXTS } = await import("./texts.ts");
  return JSON.parse(TEXTS[name]);
}
