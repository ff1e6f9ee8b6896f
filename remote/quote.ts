/**
 * The one shell-quoting function: POSIX single quotes, the only form with no
 * special characters inside. Anything pool itself sends to a remote shell as
 * data (payload arguments, paths) goes through here.
 */
export function shQuote(word: string): string {
  // Bare only where no shell reads it as more: not an option, and not zsh's
  // `=cmd` (a leading `=` expands to the path of cmd there).
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) && !/^[-=]/.test(word)) return word;
  return "'" + word.replaceAll("'", `'\\''`) + "'";
}

/**
 * An argv as one line to paste into a shell (dry runs): each word through
 * shQuote, except that an option word is left bare — quoting would not stop
 * a program reading it as an option, it would only hide it from the reader.
 */
export function shellLine(argv: readonly string[]): string {
  return argv.map((w) => /^-[A-Za-z0-9_=.,/:@%+-]*$/.test(w) ? w : shQuote(w)).join(" ");
}
