/**
 * Which commands only make sense on macOS. The Mac stays a workstation:
 * it takes these, and no general work.
 */

const MAC_ONLY = new Set([
  "swift",
  "xcodebuild",
  "xcrun",
  "codesign",
  "notarytool",
  "security",
  "pkgbuild",
  "productbuild",
  "lipo",
  "otool",
  "install_name_tool",
]);

/** sudo options that take a value (so the value is not the command). */
const SUDO_WITH_VALUE = new Set(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "-R"]);

/** Words that open a compound command or negate one: the program comes after them. */
const RESERVED = new Set(["!", "{", "}", "if", "then", "else", "elif", "do", "while", "until"]);

/** Prefix commands that run the next word: `time make`, `nohup make`. */
const PREFIXES = new Set(["exec", "time", "nice", "nohup", "command"]);

/**
 * The simple commands of a command line, each as its words, read the way sh
 * reads them: quotes and backslashes join, an unquoted `;`, `&`, `|`, `(`,
 * `)` or newline ends a command, `#` starts a comment, a redirection's target
 * is not a word, and a here-document's lines are not commands. `$(…)` and
 * backticks stay inside their word, unread: this only has to find the
 * programs a line runs, not run it.
 */
export function simpleCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let skipNextWord = false;
  /** `<<`/`<<-` seen: its word is a here-document's delimiter. */
  let heredocNext: { strip: boolean } | null = null;
  /** Here-documents whose lines start after the next line end. */
  const heredocs: { delimiter: string; strip: boolean }[] = [];
  const endWord = () => {
    if (word === null) return;
    if (heredocNext) heredocs.push({ delimiter: word, ...heredocNext });
    heredocNext = null;
    if (skipNextWord) skipNextWord = false;
    else words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  let i = 0;
  /** From just past `$(`, the index past its `)`: quotes, escapes and nesting read. */
  const pastParen = (from: number): number => {
    let depth = 1;
    let j = from;
    while (j < line.length) {
      const ch = line[j];
      if (ch === "\\") j += 2;
      else if (ch === "'") {
        const end = line.indexOf("'", j + 1);
        j = end < 0 ? line.length : end + 1;
      } else if (ch === '"') j = pastQuote(j + 1);
      else if (ch === ")" && --depth === 0) return j + 1;
      else {
        if (ch === "(") depth++;
        j++;
      }
    }
    return j;
  };
  /** From just past a `"`, the index past its closing `"` (a `$(…)` in it read whole). */
  const pastQuote = (from: number): number => {
    let j = from;
    while (j < line.length && line[j] !== '"') {
      if (line[j] === "\\") j += 2;
      else if (line[j] === "$" && line[j + 1] === "(") j = pastParen(j + 2);
      else j++;
    }
    return j + 1;
  };
  /** From just past a backquote, the index past its closing one. */
  const pastBackquote = (from: number): number => {
    let j = from;
    while (j < line.length && line[j] !== "`") j += line[j] === "\\" ? 2 : 1;
    return j + 1;
  };
  /** From a line's start, the index past the here-documents' lines. */
  const pastHeredocs = (from: number): number => {
    let j = from;
    for (const { delimiter, strip } of heredocs.splice(0)) {
      while (j < line.length) {
        const eol = line.indexOf("\n", j);
        const text = line.slice(j, eol < 0 ? line.length : eol);
        j = eol < 0 ? line.length : eol + 1;
        if ((strip ? text.replace(/^\t+/, "") : text) === delimiter) break;
      }
    }
    return j;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t") {
      endWord();
      i++;
    } else if (c === "\n") {
      endCommand();
      i = pastHeredocs(i + 1);
    } else if (c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
      endCommand();
      i++;
    } else if (c === "<" || c === ">") {
      if (word !== null && /^\d+$/.test(word)) word = null; // `2>`: the 2 is the operator's
      endWord();
      const operator = /^[<>&|-]+/.exec(line.slice(i))![0];
      // `<<` and `<<-` (not `<<<`, whose word is a string): the word is a delimiter.
      if (/^<<-?$/.test(operator)) heredocNext = { strip: operator === "<<-" };
      i += operator.length;
      skipNextWord = true;
    } else if (c === "#" && word === null) {
      while (i < line.length && line[i] !== "\n") i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      word = (word ?? "") + line.slice(i + 1, stop);
      i = stop + 1;
    } else if (c === '"') {
      let text = "";
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "$" && line[i + 1] === "(") {
          const end = pastParen(i + 2);
          text += line.slice(i, end);
          i = end;
          continue;
        }
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) i++;
        text += line[i++];
      }
      word = (word ?? "") + text;
      i++;
    } else if (c === "\\") {
      if (line[i + 1] !== "\n") word = (word ?? "") + (line[i + 1] ?? "");
      i += 2;
    } else if (c === "$" && line[i + 1] === "(") {
      const end = pastParen(i + 2);
      word = (word ?? "") + line.slice(i, end);
      i = end;
    } else if (c === "`") {
      const end = pastBackquote(i + 1);
      word = (word ?? "") + line.slice(i, end);
      i = end;
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  endCommand();
  return commands;
}

/** The program a simple command runs: past `VAR=x` assignments, `env [opts]` and `sudo [opts]`. */
export function programOf(words: string[]): string | null {
  let i = 0;
  for (;;) {
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) i++;
    const word = words[i];
    if (word === undefined) return null;
    const base = word.split("/").pop()!;
    if (base === "env") {
      i++;
      while (i < words.length && words[i].startsWith("-")) {
        i += words[i] === "-u" || words[i] === "-C" ? 2 : 1;
      }
      continue;
    }
    if (base === "sudo") {
      i++;
      while (i < words.length && words[i].startsWith("-")) {
        i += SUDO_WITH_VALUE.has(words[i]) ? 2 : 1;
      }
      continue;
    }
    if (RESERVED.has(word) || PREFIXES.has(base)) {
      i++;
      continue;
    }
    return base;
  }
}

/**
 * True when the command runs a macOS-only tool as the program of any of its
 * simple commands (`cd app && xcodebuild` is a macOS job too), but not when
 * the tool's name is only quoted text (`echo 'xcodebuild; done'`).
 */
export function isMacOnly(command: string): boolean {
  return simpleCommands(command).some((words) => {
    const program = programOf(words);
    return program !== null && MAC_ONLY.has(program);
  });
}

/**
 * Why a host of this OS may not take this command, or null if it may. An
 * explicit `--os` overrides the macOS rule; otherwise macOS hosts take only
 * macOS-only commands, and those go nowhere else.
 */
export function osRefusal(hostOs: string, command: string, wantOs?: string): string | null {
  if (wantOs) return hostOs === wantOs ? null : `not ${wantOs} (--os)`;
  const macOnly = isMacOnly(command);
  if (hostOs === "macos" && !macOnly) return "macOS takes only macOS-only commands";
  if (hostOs !== "macos" && macOnly) return "macOS-only command";
  return null;
}
