/**
 * Text from a host or a roster, as it may be shown on a terminal. A terminal
 * acts on control characters: ESC and CSI (U+009B) sequences move the cursor,
 * clear the screen or retitle the window, a CR or a newline forges a line of
 * pool's own, and the bidirectional overrides reorder what is read. pool's
 * tables and messages show them as escapes instead. A command's own output
 * is not pool's to change: it passes through as it came.
 */

// deno-lint-ignore no-control-regex -- control characters are what this escapes
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE =
  // deno-lint-ignore no-control-regex -- control characters are what this escapes
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e" };

function escaped(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ??
    (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
}

/** One line of text: every control character escaped, newlines too. */
export function visible(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** pool's own message: may span lines, and nothing else acts on the terminal. */
export function visibleLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escaped);
}
