/**
 * Edits roster text in place with jsonc-parser, so the user's comments,
 * formatting and unknown keys survive every write.
 */

import {
  applyEdits,
  createScanner,
  findNodeAtLocation,
  type FormattingOptions,
  modify,
  parseTree,
} from "jsonc-parser";
import { PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import type { Host } from "./host.ts";
import { leftOut, type ParsedRoster, parseRoster } from "./parse.ts";

const FORMAT: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: "\n" };
/** The rest of a line after an element (its line end aside): nothing, or a comment. */
const TRAILING_COMMENT = /^\s*(\/\/.*|\/\*.*\*\/\s*)?$/;
const EMPTY = '{\n  "hosts": []\n}\n';

export class RosterEditor {
  #text: string;
  /** What #text reads as: the usable hosts, and every entry's name (its place in the array). */
  #parsed: ParsedRoster;
  /** The file's own line end: a CRLF roster (written on Windows) stays CRLF. */
  #eol: string;
  changed = false;

  constructor(text: string) {
    this.#text = text.trim() === "" ? EMPTY : text;
    this.#eol = this.#text.includes("\r\n") ? "\r\n" : "\n";
    this.#parsed = parseRoster(this.#text);
    if (this.#parsed.doc.hosts === undefined) this.#edit(["hosts"], []);
  }

  get text(): string {
    return this.#text;
  }

  /** The hosts pool may use (not the unusable ones: see parse.ts). */
  get hosts(): readonly Host[] {
    return this.#parsed.hosts;
  }

  /** Every entry's name, unusable ones too. */
  get names(): readonly string[] {
    return this.#parsed.names;
  }

  /** What the roster as it now stands has to say: hosts left out or read leniently. */
  get warnings(): string[] {
    return this.#parsed.warnings;
  }

  find(name: string): Host | undefined {
    return this.#parsed.hosts.find((h) => h.name === name);
  }

  /**
   * The host, or the old tool's error: `not in roster: <name>`. No name at all (`pool rm
   * "$UNSET"`) is the command line's fault, said as such.
   */
  get(name: string): Host {
    if (name === "") throw new UsageError("empty host name");
    const host = this.find(name);
    if (host) return host;
    // An unusable host is changed by hand or removed: an edit would keep it unusable.
    const unusable = this.#parsed.unusable.find((u) => u.name === name);
    if (unusable) throw leftOut(unusable);
    throw new PoolError(`not in roster: ${name}`, EXIT.failure, "not_in_roster");
  }

  /**
   * Appends a host as one line, the way the old tool's files look. Done by
   * hand after the last element: jsonc-parser's own array insertion
   * re-formats the previous element and carries off a comment that trails it.
   */
  add(host: Host): void {
    if (this.#parsed.names.includes(host.name)) {
      throw new PoolError(`already in roster: ${host.name}`, EXIT.failure, "already_in_roster");
    }
    const hosts = findNodeAtLocation(parseTree(this.#text)!, ["hosts"])!;
    const last = hosts.children?.at(-1);
    if (!last) {
      this.#edit(["hosts", -1], host, true);
      return;
    }
    const end = last.offset + last.length;
    const lineStart = this.#text.lastIndexOf("\n", last.offset) + 1;
    const indent = /^[ \t]*/.exec(this.#text.slice(lineStart))![0];
    // A comment trailing the last element stays with it: the new line goes after the comment.
    let lineEnd = this.#text.indexOf("\n", end);
    if (lineEnd > 0 && this.#text[lineEnd - 1] === "\r") lineEnd--;
    const after = lineEnd !== -1 && TRAILING_COMMENT.test(this.#text.slice(end, lineEnd))
      ? lineEnd
      : end;
    const line = this.#eol + indent + oneLine(host);
    const next = this.#text.slice(0, end) + "," + this.#text.slice(end, after) + line +
      this.#text.slice(after);
    if (!this.#take(next, this.#parsed.names.length + 1)) this.#edit(["hosts", -1], host, true);
  }

  /**
   * Removes a host by hand, so that every comment but the ones on its own
   * lines stays where it was: when its entry stands on lines of its own (the
   * usual layout, a leading comma allowed) those lines go; otherwise only the
   * entry. Then one separating comma goes, unless one went with the lines.
   * jsonc-parser's own removal (the last resort) re-formats the element
   * before a last one and takes the comment that trails it. An unusable
   * host is removed too: that is how one goes.
   */
  remove(name: string): void {
    const index = this.#index(name);
    if (index === -1) this.get(name);
    const elements = findNodeAtLocation(parseTree(this.#text)!, ["hosts"])!.children!;
    const node = elements[index];
    const text = this.#text;
    const end = node.offset + node.length;
    const lineStart = text.lastIndexOf("\n", node.offset - 1) + 1;
    const newline = text.indexOf("\n", end);
    const ownLines = elements.length > 1 &&
      /^[ \t]*,?[ \t]*$/.test(text.slice(lineStart, node.offset)) &&
      newline !== -1 && /^\s*,?\s*(\/\/.*|\/\*.*\*\/\s*)?\r?$/.test(text.slice(end, newline));
    // What goes: the entry's lines, or the entry and the blanks before it on its line.
    const [from, to] = ownLines
      ? [lineStart, newline + 1]
      : [node.offset - /[ \t]*$/.exec(text.slice(lineStart, node.offset))![0].length, end];
    // The commas on either side of it: one of them goes too.
    const last = index === elements.length - 1;
    const before = index > 0
      ? separator(text, elements[index - 1].offset + elements[index - 1].length)
      : -1;
    const after = last ? -1 : separator(text, end);
    const inside = (at: number) => at >= from && at < to;
    const comma = inside(before) || inside(after) ? -1 : last ? before : after;
    const cuts = [[from, to], ...(comma >= 0 ? [[comma, comma + 1]] : [])].sort((a, b) =>
      a[0] - b[0]
    );
    let next = "";
    let at = 0;
    for (const [start, stop] of cuts) {
      next += text.slice(at, start);
      at = stop;
    }
    next += text.slice(at);
    if (!this.#take(next, elements.length - 1)) this.#edit(["hosts", index], undefined);
  }

  /**
   * Sets one key of one host; `undefined` removes the key. A value the entry already holds is
   * no change: rewritten, it would come back re-formatted (an array over three lines), and a
   * roster on a read-only or full disk would fail to say what it already says.
   */
  set(name: string, key: string, value: unknown): void {
    this.get(name);
    const index = this.#index(name);
    const entry = (this.#parsed.doc.hosts as Record<string, unknown>[])[index];
    if (holds(entry, key, value)) return;
    this.#edit(["hosts", index, key], value);
  }

  /** The entry's place in the array, counting unusable entries (they hold their place). */
  #index(name: string): number {
    return this.#parsed.names.indexOf(name);
  }

  /**
   * Takes `next`, the text after a by-hand edit that keeps the file's layout,
   * if it reads as `count` hosts; a layout the edit did not foresee (a comma
   * leading each line, comments between elements) is left to jsonc-parser.
   */
  #take(next: string, count: number): boolean {
    let parsed: ParsedRoster;
    try {
      parsed = parseRoster(next);
    } catch {
      return false;
    }
    if (parsed.names.length !== count) return false;
    this.#text = next;
    this.#parsed = parsed;
    this.changed = true;
    return true;
  }

  #edit(path: (string | number)[], value: unknown, isArrayInsertion = false): void {
    const formattingOptions = { ...FORMAT, eol: this.#eol };
    const edits = modify(this.#text, path, value, { formattingOptions, isArrayInsertion });
    if (edits.length === 0) return;
    const next = applyEdits(this.#text, edits);
    try {
      this.#parsed = parseRoster(next);
    } catch (e) {
      // Never a roster that does not parse: the file stays as it is, and the user is told.
      throw new PoolError(
        `this roster's layout defeats the edit (${(e as Error).message}); ` +
          `nothing was written: make the change by hand`,
      );
    }
    this.#text = next;
    this.changed = true;
  }
}

/** Whether `entry` already has `value` at `key` (`undefined`: no such key), compared as JSON. */
function holds(entry: Record<string, unknown>, key: string, value: unknown): boolean {
  if (!Object.hasOwn(entry, key)) return value === undefined;
  return value !== undefined && JSON.stringify(entry[key]) === JSON.stringify(value);
}

/** Where the first `,` token from `from` on is (comments and blanks skipped), or -1. */
function separator(text: string, from: number): number {
  const rest = text.slice(from);
  const scanner = createScanner(rest, false);
  // Tokens by their text: jsonc-parser's SyntaxKind is a const enum this build cannot read.
  while (scanner.scan() !== undefined && scanner.getTokenOffset() < rest.length) {
    const offset = scanner.getTokenOffset();
    const token = rest.slice(offset, offset + scanner.getTokenLength());
    if (token === ",") return from + offset;
    if (!/^\s*$/.test(token) && !token.startsWith("//") && !token.startsWith("/*")) return -1;
  }
  return -1;
}

/** `{"name": "a", "ssh": "b"}`: JSON with the spacing people write by hand. */
function oneLine(value: Record<string, unknown>): string {
  return "{" +
    Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ") +
    "}";
}
