/**
 * The JSON Schemas of what `--json` prints, one file per verb (plus `error`,
 * the shape of any failure). Read beside this module, so `deno compile
 * --include schemas` carries them. tests/schema_test.ts validates real output
 * against them.
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
  return JSON.parse(await Deno.readTextFile(new URL(`./${name}.json`, import.meta.url)));
}
