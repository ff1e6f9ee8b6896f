/**
 * Text → roster, with nothing in between: a pure function, so every way a
 * file can be broken is a unit test.
 *
 * The file is read as a tree, not a plain value, so every complaint can name
 * the line and column to fix, and so a duplicate key is caught: a plain
 * parse keeps the last one while an edit changes the first, which once made
 * `rm b` delete host a.
 *
 * What is wrong with the file as a whole (not JSONC, not `{"hosts": [...]}`, an
 * entry with no name, a name twice, a key twice) is an error. What is wrong with
 * one host (a name or target `add` would refuse, a value of the wrong type) is
 * not: that host is unusable, left out of everything but `list` and `rm`.
 */

import {
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { type Host, nameProblem, tagProblem, targetProblem } from "./host.ts";
import { shQuote } from "../remote/quote.ts";
import { PoolError } from "../errors.ts";
import { EXIT } from "../exit.ts";

export interface ParsedRoster {
  /** The whole document, unknown keys included (what `list --json` prints). */
  doc: Record<string, unknown>;
  /** The hosts pool may use: every entry but the unusable ones. */
  hosts: Host[];
  /** Entries that fail a per-host check: kept in the file, used nowhere. */
  unusable: Unusable[];
  /** Every entry's name in file order, unusable ones too: where the editor finds an entry. */
  names: string[];
  /** One line per host left out or read leniently, for the verb to say on stderr. */
  warnings: string[];
}

/**
 * A host entry that fails a per-host check (a name `add` would refuse, a target ssh could
 * read as an option, a value of the wrong type). One such host must not take the whole
 * roster down, so it is left out of everything but `list` and `rm`, and its text is never
 * touched.
 */
export interface Unusable {
  name: string;
  /** What is wrong: `name contains whitespace`. */
  problem: string;
  /** How to put it right: `pool rm 'mac mini', then add it under a plain name`. */
  fix: string;
  /** The entry as it stands in the file. */
  entry: Record<string, unknown>;
}

/**
 * The one refusal of a host left out, wherever it is named (a selection, bg, an edit): it is in
 * the file, so "not in roster" would contradict `pool list`, and never stands for anything else
 * (a left-out host named `local` is not this machine).
 */
export function leftOut(u: Unusable): PoolError {
  return new PoolError(
    `host ${JSON.stringify(u.name)} is left out: ${u.problem} (${u.fix})`,
    EXIT.failure,
    "not_in_roster",
  );
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

/** Valid JSONC that is not a roster we can trust; `line` is 0 when no one place is to blame. */
export class RosterShapeError extends Error {
  constructor(message: string, readonly line = 0, readonly column = 0) {
    super(message);
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

export const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false };

/** Parses JSONC. Throws RosterSyntaxError (with line:column) or RosterShapeError. */
export function parseRoster(text: string): ParsedRoster {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, PARSE_OPTIONS);
  if (errors.length > 0 || root === undefined) {
    // Never use a partial parse: a broken file must not read as a smaller roster.
    const first = errors[0] ?? { error: 4, /* ValueExpected */ offset: text.length, length: 0 };
    const { line, column } = lineColumn(text, first.offset);
    const truncated = first.offset + first.length >= text.trimEnd().length;
    throw new RosterSyntaxError(printParseErrorCode(first.error), line, column, truncated);
  }
  const fail = (message: string, node?: Node): never => {
    const { line, column } = node ? lineColumn(text, node.offset) : { line: 0, column: 0 };
    throw new RosterShapeError(message, line, column);
  };
  rejectDuplicateKeys(root, fail);
  const doc = getNodeValue(root);
  if (root.type !== "object") {
    fail(`expected an object like {"hosts": [...]}, found ${describe(doc)}`, root);
  }
  const hostsNode = property(root, "hosts");
  if (hostsNode === undefined) return { doc, hosts: [], unusable: [], names: [], warnings: [] };
  if (hostsNode.type !== "array") {
    fail(`"hosts" must be an array, found ${describe(getNodeValue(hostsNode))}`, hostsNode);
  }
  const seen = new Set<string>();
  const parsed: ParsedRoster = { doc, hosts: [], unusable: [], names: [], warnings: [] };
  (hostsNode.children ?? []).forEach((node, i) => {
    const entry = getNodeValue(node);
    // Without an object and a name there is nothing to name in a warning, or to `rm`.
    if (node.type !== "object") {
      fail(`hosts[${i}] must be an object, found ${describe(entry)}`, node);
    }
    if (typeof entry.name !== "string" || entry.name === "") {
      fail(`hosts[${i}] needs a non-empty string "name"`, property(node, "name") ?? node);
    }
    const name = entry.name as string;
    // Two entries of one name: which one `pool on` or `rm` means is anyone's guess.
    if (seen.has(name)) fail(`hosts[${i}]: name "${name}" appears twice`, property(node, "name"));
    seen.add(name);
    parsed.names.push(name);
    const problem = hostProblem(node, entry);
    if (problem) {
      const fix = fixFor(name);
      parsed.unusable.push({ name, problem, fix, entry });
      parsed.warnings.push(`host ${JSON.stringify(name)}: ${problem}; left out (${fix})`);
      return;
    }
    const { host, note } = lenient(entry as Host);
    if (note) parsed.warnings.push(note);
    parsed.hosts.push(host);
  });
  return parsed;
}

/** The first per-host check an entry fails, worded for a warning, or undefined. */
function hostProblem(node: Node, entry: Record<string, unknown>): string | undefined {
  const name = nameProblem(entry.name as string, "name", "");
  if (name) return name;
  if (typeof entry.ssh !== "string" || entry.ssh === "") {
    return `"ssh" must be a non-empty string`;
  }
  const target = targetProblem(entry.ssh);
  if (target) return target;
  for (const [key, type] of TYPED_KEYS) {
    const value = property(node, key);
    if (value === undefined || value.type === "null" || value.type === type) continue;
    return `"${key}" is ${describe(getNodeValue(value))}, not ${
      type === "boolean" ? "true or false" : "a string"
    }`;
  }
  const tags = property(node, "tags");
  if (tags !== undefined && tags.type !== "null") {
    if (tags.type !== "array" || !tags.children!.every((t) => t.type === "string")) {
      return `"tags" is not an array of strings`;
    }
    for (const tag of tags.children!) {
      const bad = tagProblem(tag.value);
      if (bad) return bad;
    }
  }
}

/** How to put right a host left out: `rm` takes any name, `add` only a plain one. */
function fixFor(name: string): string {
  const rm = `pool rm ${name.startsWith("-") ? "-- " : ""}${shQuote(name)}`;
  return nameProblem(name) ? `${rm}, then add it under a plain name` : `fix it by hand, or ${rm}`;
}

/**
 * The host as pool reads it: a key set to null is absent, as the old tool's `h.get(key)`
 * read it, and a `sudo` that is not true or false is false. The old tool took any truthy
 * value (`"no"` and `"false"` too) as sudo; pool never runs sudo on a guess, and says so
 * where the old tool would have.
 */
function lenient(entry: Host): { host: Host; note?: string } {
  const host: Host = { ...entry };
  for (const key of ["sudo", ...TYPED_KEYS.map(([key]) => key), "tags"]) {
    if (host[key] === null) delete host[key];
  }
  const sudo = host.sudo;
  if (sudo === undefined || typeof sudo === "boolean") return { host };
  delete host.sudo;
  if (!truthy(sudo)) return { host };
  const value = typeof sudo === "string" || typeof sudo === "number"
    ? JSON.stringify(sudo)
    : describe(sudo);
  return {
    host,
    note: `host ${JSON.stringify(host.name)}: "sudo" is ${value}, not true or false; read as ` +
      `false (write "sudo": true or false in the roster)`,
  };
}

/** Python's truth value of a JSON value: how the old tool read `sudo`. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

/**
 * Optional keys by the type each must have (or null, for absent): read loosely,
 * `"exclude": "true"` would leave a host in `all`. `sudo` is read as the old
 * tool read it, but never as true on a guess (lenient()).
 */
const TYPED_KEYS: [string, "boolean" | "string"][] = [
  ["exclude", "boolean"],
  ["os", "string"],
  ["description", "string"],
];

/** The value node of `key` in an object node. */
function property(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.children?.[0].value === key)?.children?.[1];
}

function rejectDuplicateKeys(node: Node, fail: (message: string, node?: Node) => never): void {
  if (node.type === "object") {
    const keys = new Set<string>();
    for (const prop of node.children ?? []) {
      const key = prop.children![0];
      if (keys.has(key.value)) fail(`duplicate key ${JSON.stringify(key.value)}`, key);
      keys.add(key.value);
    }
  }
  for (const child of node.children ?? []) rejectDuplicateKeys(child, fail);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
