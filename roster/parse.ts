/**
 * Text → roster, with nothing in between: a pure function, so every way a
 * file can be broken is a unit test.
 *
 * The file is read as a tree, not a plain value, so every complaint can name
 * the line and column to fix, and so a duplicate key is caught: a plain
 * parse keeps the last one while an edit changes the first, which once made
 * `rm b` delete host a.
 */

import {
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { type Host, nameProblem, tagProblem, targetProblem } from "./host.ts";

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
  if (hostsNode === undefined) return { doc, hosts: [] };
  if (hostsNode.type !== "array") {
    fail(`"hosts" must be an array, found ${describe(getNodeValue(hostsNode))}`, hostsNode);
  }
  const seen = new Set<string>();
  const hosts = (hostsNode.children ?? []).map((node, i) => {
    const entry = getNodeValue(node);
    if (node.type !== "object") {
      fail(`hosts[${i}] must be an object, found ${describe(entry)}`, node);
    }
    for (const key of ["name", "ssh"]) {
      if (typeof entry[key] !== "string" || entry[key] === "") {
        fail(`hosts[${i}] needs a non-empty string "${key}"`, property(node, key) ?? node);
      }
    }
    const name = entry.name as string;
    const problem = nameProblem(name);
    if (problem) fail(`hosts[${i}]: ${problem}`, property(node, "name"));
    if (seen.has(name)) fail(`hosts[${i}]: name "${name}" appears twice`, property(node, "name"));
    seen.add(name);
    const target = targetProblem(entry.ssh);
    if (target) fail(`hosts[${i}] ("${name}"): ${target}`, property(node, "ssh"));
    for (const [key, type] of OPTIONAL_KEYS) {
      const value = property(node, key);
      if (value !== undefined && value.type !== type) {
        fail(`hosts[${i}] ("${name}"): "${key}" must be a ${type}`, value);
      }
    }
    const tags = property(node, "tags");
    if (tags !== undefined) {
      if (tags.type !== "array" || !tags.children!.every((t) => t.type === "string")) {
        fail(`hosts[${i}] ("${name}"): "tags" must be an array of strings`, tags);
      }
      for (const tag of tags.children!) {
        const bad = tagProblem(tag.value);
        if (bad) fail(`hosts[${i}] ("${name}"): ${bad}`, tag);
      }
    }
    return entry as Host;
  });
  return { doc, hosts };
}

/**
 * The old tool's optional keys and our `exclude`, by the type each must have:
 * read loosely, `"exclude": "true"` would leave a host in `all`, and
 * `"sudo": "no"` would mean sudo.
 */
const OPTIONAL_KEYS: [string, "boolean" | "string"][] = [
  ["sudo", "boolean"],
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
