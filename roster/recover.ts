/**
 * When a damaged roster may be replaced by its `.bak` without losing anything.
 *
 * `.bak` is one change behind the file it backs up, so "cut short" is not
 * enough: a file cut short after the user added hosts by hand shows hosts the
 * `.bak` never had. We compare token by token, comments and layout aside:
 * every token the damaged text shows must be the token at the same place in
 * the `.bak`, and the last one (where the cut fell) may be a prefix of it.
 * Anything else — a host, tag or key the `.bak` lacks, or a reordering — and
 * the user must look at the file.
 */

import { createScanner } from "jsonc-parser";

// jsonc-parser's SyntaxKind is a const enum, which Deno's isolated modules cannot read.
const EOF = 17;

interface Token {
  kind: number;
  /** The decoded value (a string's content without quotes). */
  value: string;
  /** The text as written: tells a string cut short (`"ss`) from a whole one (`"ss"`). */
  raw: string;
}

function tokens(text: string): Token[] {
  const scanner = createScanner(text, true); // comments and whitespace skipped
  const out: Token[] = [];
  for (let kind: number = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    const offset = scanner.getTokenOffset();
    out.push({
      kind,
      value: scanner.getTokenValue(),
      raw: text.slice(offset, offset + scanner.getTokenLength()),
    });
  }
  return out;
}

/** Whether `backup` holds everything `damaged` shows (see the module comment). */
export function backupHoldsAll(damaged: string, backup: string): boolean {
  const cut = tokens(damaged);
  const whole = tokens(backup);
  if (cut.length > whole.length) return false;
  return cut.every((t, i) => {
    const w = whole[i];
    const same = t.kind === w.kind && t.value === w.value;
    return same || (i === cut.length - 1 && w.raw.startsWith(t.raw));
  });
}
