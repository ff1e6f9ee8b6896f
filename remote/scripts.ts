/**
 * The shell scripts remote/ sends, read beside this module (so `deno compile
 * --include remote` carries them) and cached for the run. Job scripts that
 * need `start_of` get remote/_proc.sh before them: one copy of that function.
 */

const NEEDS_PROC = new Set(["kill", "follow"]);
const cache = new Map<string, Promise<string>>();

const read = (file: string) => Deno.readTextFile(new URL(`./${file}`, import.meta.url));

/** The script `remote/<name>.sh` as it is sent. */
export function remoteScript(name: "supervise" | "launch" | "kill" | "follow"): Promise<string> {
  let text = cache.get(name);
  if (!text) {
    text = Promise.all([NEEDS_PROC.has(name) ? read("_proc.sh") : "", read(`${name}.sh`)])
      .then(([lib, own]) => lib + own);
    cache.set(name, text);
  }
  return text;
}

/** A script sent as a command's argument: its comments are for readers of the file, not for every `ps` on the host. */
export function withoutComments(text: string): string {
  return text.split("\n").filter((l) => l.trim() !== "" && !/^\s*#/.test(l)).join("\n") + "\n";
}
