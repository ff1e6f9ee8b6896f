/**
 * The one shell-quoting function: POSIX single quotes, the only form with no
 * special characters inside. Anything pool itself sends to a remote shell as
 * data (payload arguments, paths) goes through here.
 */
export function shQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) && !word.startsWith("-")) return word;
  return "'" + word.replaceAll("'", `'\\''`) + "'";
}
