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

/** The program a simple command runs: past `VAR=x` assignments, `env [opts]` and `sudo [opts]`. */
export function programOf(simpleCommand: string): string | null {
  const words = simpleCommand.trim().split(/\s+/).filter(Boolean).map((w) =>
    w.replace(/^['"]|['"]$/g, "")
  );
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
    if (base === "exec" || base === "time" || base === "nice" || base === "nohup") {
      i++;
      continue;
    }
    return base;
  }
}

/**
 * True when the command runs a macOS-only tool: the first word of the
 * command, or of any command in a `&&`, `||`, `;` or `|` chain
 * (`cd app && xcodebuild` is a macOS job too).
 */
export function isMacOnly(command: string): boolean {
  return command.split(/&&|\|\||;|\||\n/).some((part) => {
    const program = programOf(part.replace(/^[\s({]+/, ""));
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
