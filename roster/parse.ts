/**
 * Text → roster, with nothing in between: a pure function, so every way a
 * file can be broken is a unit test.
 */

import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import type { Host } from "./host.ts";

export interface ParsedRoster {
  /** The whole document, unknown keys included (what `list --json` prints). */
  doc: Record<string, unknown>;
  hosts: Host[];
}

export class RosterSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** The error sits at the very end of the text: the file was cut short. */
    readonly truncated: boolean,
  ) {
    super(message);
  }
}

export class RosterShapeError extends Error {}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

/** Parses JSONC. Throws RosterSyntaxError (with line:column) or RosterShapeError. */
export function parseRoster(text: string): ParsedRoster {
  const errors: ParseError[] = [];
  const doc = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    // Never use a partial parse: a broken file must not read as a smaller roster.
    const first = errors[0];
    const { line, column } = lineColumn(text, first.offset);
    const truncated = first.offset + first.length >= text.trimEnd().length;
    throw new RosterSyntaxError(printParseErrorCode(first.error), line, column, truncated);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new RosterShapeError(`expected an object like {"hosts": [...]}, found ${describe(doc)}`);
  }
  const hostsValue = (doc as Record<string, unknown>).hosts;
  if (hostsValue === undefined) return { doc, hosts: [] };
  if (!Array.isArray(hostsValue)) {
    throw new RosterShapeError(`"hosts" must be an array, found ${describe(hostsValue)}`);
  }
  const seen = new Set<string>();
  const hosts = hostsValue.map((entry, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new RosterShapeError(`hosts[${i}] must be an object, found ${describe(entry)}`);
    }
    const host = entry as Record<string, unknown>;
    for (const key of ["name", "ssh"]) {
      if (typeof host[key] !== "string" || host[key] === "") {
        throw new RosterShapeError(`hosts[${i}] needs a non-empty string "${key}"`);
      }
    }
    if (seen.has(host.name as string)) {
      throw new RosterShapeError(`hosts[${i}]: name "${host.name}" appears twice`);
    }
    seen.add(host.name as string);
    if (
      host.tags !== undefined &&
      !(Array.isArray(host.tags) && host.tags.every((t) => typeof t === "string"))
    ) {
      throw new RosterShapeError(
        `hosts[${i}] ("${host.name}"): "tags" must be an array of strings`,
      );
    }
    return host as Host;
  });
  return { doc, hosts };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
