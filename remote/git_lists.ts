/**
 * `--gitignore`: what git keeps in each pushed source, as rsync excludes and as tar file lists.
 * Apart from both copy methods because each takes it, and neither needs to know how git is
 * asked.
 */

import { join } from "../paths.ts";
import { sourceRoot } from "./copy_paths.ts";
import { escapeRule } from "./rsync.ts";

export interface GitLists {
  dir: string;
  /** rsync: what git ignores, as anchored exclude rules (NUL-separated). */
  excludeFile: string;
  /** tar: per source, the entries to send (NUL-separated, relative to the source's root). */
  fileLists: string[];
}

/**
 * What git would keep in each source (tracked files, and untracked ones it
 * does not ignore), as rsync excludes and as tar file lists. A source that
 * is not in a git checkout is an error: the caller asked for git's view.
 */
export async function gitLists(sources: string[]): Promise<GitLists | string> {
  const dir = await Deno.makeTempDir({ prefix: "pool-push-" });
  const rules: string[] = [];
  const fileLists: string[] = [];
  for (const [i, source] of sources.entries()) {
    const { root, name } = sourceRoot(source);
    const inside = name === "." ? root : join(root, name);
    if (!(await Deno.stat(inside).then((s) => s.isDirectory, () => false))) {
      fileLists.push(""); // a single file: git has no say
      continue;
    }
    const kept = await git(inside, [
      "ls-files",
      "-z",
      "--cached",
      "--others",
      "--exclude-standard",
    ]);
    const ignored = await git(inside, [
      "ls-files",
      "-z",
      "--others",
      "--ignored",
      "--exclude-standard",
      "--directory",
    ]);
    if (kept === null || ignored === null) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return `--gitignore: ${source} is not in a git checkout`;
    }
    const prefix = name === "." ? "" : `${name}/`;
    for (const path of ignored) rules.push("/" + escapeRule(prefix + path));
    // The index may list files deleted since: only what is there can be sent.
    const present: string[] = [];
    for (const path of kept) {
      // `./` first: tar reads a listed name that starts with `-` as an option.
      if (await Deno.lstat(join(inside, path)).then(() => true, () => false)) {
        present.push(`./${prefix}${path}`);
      }
    }
    const list = join(dir, `files.${i}`);
    await Deno.writeTextFile(list, present.map((p) => p + "\0").join(""));
    fileLists.push(list);
  }
  const excludeFile = join(dir, "excludes");
  await Deno.writeTextFile(excludeFile, rules.map((r) => r + "\0").join(""));
  return { dir, excludeFile, fileLists };
}

async function git(cwd: string, args: string[]): Promise<string[] | null> {
  const out = await new Deno.Command("git", {
    args: ["-C", cwd, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (!out?.success) return null;
  return new TextDecoder().decode(out.stdout).split("\0").filter(Boolean);
}
