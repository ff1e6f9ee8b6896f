/** One line of JSON, for output read line by line (JSON lines, one document a line). */

/**
 * Characters JSON leaves as they are inside a string that some line readers end a line at:
 * NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (Python's `str.splitlines()`, which a harness reading
 * `--json` line by line may well use, cut a host's document in three). The rest they end lines
 * at are control characters, which JSON escapes already.
 */
const LINE_BREAKING = /[\u0085\u2028\u2029]/g;

/**
 * `value` as one line of JSON whatever its strings hold: those characters written as `\uXXXX`
 * escapes, which read back as the same string.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    LINE_BREAKING,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
