/**
 * Where the roster lives and how it is read and written safely.
 *
 * Reads never lock (a reader sees either the old or the new file, thanks to
 * rename). Every change runs `updateRoster`: exclusive lock → read →
 * edit the text in place (comments and unknown keys survive) → write a temp
 * file beside it → keep the previous good file as `.bak` → rename.
 */

import { PoolError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import type { Host } from "./host.ts";
import {
  type ParsedRoster,
  parseRoster,
  RosterShapeError,
  RosterSyntaxError,
  type Unusable,
} from "./parse.ts";
import { RosterEditor } from "./editor.ts";
import { backupHoldsAll } from "./recover.ts";
import {
  followSymlinks,
  readTextIfExists,
  regularFile,
  withFileLock,
  writeFileAtomically,
} from "../state/files.ts";

export interface Roster {
  path: string;
  /** The text the hosts came from ("" when there is no file yet). */
  text: string;
  doc: Record<string, unknown>;
  /** The hosts pool may use. */
  hosts: Host[];
  /** Entries that fail a per-host check: `list` shows them, `rm` removes them, nothing uses them. */
  unusable: Unusable[];
  /** Every entry's name in file order, unusable ones too. */
  names: string[];
  /**
   * Things the user should hear about, printed by the verb: a recovery from .bak, then each
   * host left out or read leniently.
   */
  warnings: string[];
  /** The unreadable file's text when `.bak` stood in for it: kept aside before any write. */
  damaged?: string;
  /** The file began with a byte order mark (an editor's "UTF-8 with BOM"): kept on write. */
  bom?: boolean;
}

const BOM = "\ufeff";

const readText = (path: string) => readTextIfExists(path, "roster");

const NOTHING = { doc: {}, hosts: [], unusable: [], names: [] };

function explain(path: string, e: unknown, note = ""): unknown {
  const where = e instanceof RosterSyntaxError || (e instanceof RosterShapeError && e.line > 0)
    ? `${path}:${e.line}:${e.column}`
    : path;
  if (e instanceof RosterSyntaxError || e instanceof RosterShapeError) {
    return new PoolError(
      `cannot read roster ${where}: ${e.message} (file left untouched${note})`,
      EXIT.failure,
      "roster_unreadable",
    );
  }
  return e;
}

/**
 * Reads the roster. A file that does not parse is never read as a smaller
 * roster: it stands in for its `.bak` only when it is empty or shows nothing
 * the `.bak` lacks (recover.ts), and then `damaged` carries it so that the
 * next write keeps it aside first. Anything else is an error naming line:column.
 */
export async function readRoster(path: string): Promise<Roster> {
  const real = await followSymlinks(path);
  await regularFile(real, "roster");
  const read = await readText(real);
  if (read === null) return { path: real, text: "", ...NOTHING, warnings: [] };
  // A byte order mark is no JSON: read past it, and written back as found.
  const bom = read.startsWith(BOM);
  const text = bom ? read.slice(1) : read;
  try {
    return { path: real, text, ...parseRoster(text), ...bom ? { bom } : {} };
  } catch (e) {
    return await fromBackup(real, text, e);
  }
}

async function fromBackup(path: string, text: string, error: unknown): Promise<Roster> {
  const empty = text.trim() === "";
  // A file that parses but is wrong (duplicate keys, a bad name) was edited, not cut short.
  if (!empty && !(error instanceof RosterSyntaxError)) throw explain(path, error);
  const saved = await readText(path + ".bak");
  const backup = saved?.startsWith(BOM) ? saved.slice(1) : saved;
  let parsed: ParsedRoster | undefined;
  try {
    if (backup !== null) parsed = parseRoster(backup);
  } catch {
    // A .bak that does not parse recovers nothing.
  }
  if (backup !== null && parsed && backupHoldsAll(text, backup)) {
    const what = empty ? "is empty" : "is cut short";
    const recovered = `roster ${path} ${what}; using ${path}.bak (${parsed.names.length} hosts)`;
    return {
      path,
      text: backup,
      ...parsed,
      damaged: text,
      warnings: [recovered, ...parsed.warnings],
    };
  }
  if (empty) return { path, text: "", ...NOTHING, warnings: [] };
  throw explain(path, error, parsed ? `; ${path}.bak is older and lacks some of it` : "");
}

export interface UpdateOptions {
  /** Only `rm` may leave a roster that had hosts with none. */
  allowEmpty?: boolean;
  /** Stops a wait for the lock (pool told to stop); the roster is then left as it was. */
  signal?: AbortSignal;
}

/**
 * Runs `change` on the current roster under an exclusive lock and saves the
 * result atomically. Returns what `change` returned, plus any read warnings.
 * `change` may run twice (on the file as read, then under the lock): it only edits.
 */
export async function updateRoster<T>(
  change: (editor: RosterEditor) => T,
  options: UpdateOptions = {},
  path: string,
): Promise<{ result: T; warnings: string[] }> {
  // A roster kept in a dotfiles repo is a symlink: write its target, and keep
  // the lock, .bak and temp file beside that, so the link stays a link.
  const real = await followSymlinks(path);
  // Before its lock is made beside it (a roster at /dev/null: a lock in /dev).
  await regularFile(real, "roster");
  // A change that changes nothing (a tag it has, `include` of a host not excluded) takes no
  // lock and writes nothing: a read sees a whole file, so judged on it the change is as if it
  // ran then, and a roster on a read-only or full disk is still told what it already holds.
  const first = await tryChange(real, change);
  if (!first.editor.changed) return { result: first.result, warnings: first.warnings };
  return await withFileLock(
    real,
    async () => {
      // Again on the file as it now stands: another pool may have changed it meanwhile.
      const { before, editor, result, warnings } = await tryChange(real, change);
      if (editor.changed) {
        if (before.names.length > 0 && editor.names.length === 0 && !options.allowEmpty) {
          throw new PoolError(
            `refusing to replace roster ${real} (${before.names.length} hosts) with an empty one`,
          );
        }
        if (before.damaged !== undefined && before.damaged.trim() !== "") {
          warnings.push(`kept the damaged roster as ${await keepAside(real, before.damaged)}`);
        }
        await writeAtomically(real, editor.text, before);
      }
      return { result, warnings };
    },
    "the roster lock",
    options.signal,
  );
}

/** `change` run on the roster at `path` as it now stands, and what the roster says after it. */
async function tryChange<T>(path: string, change: (editor: RosterEditor) => T) {
  const before = await readRoster(path);
  const editor = new RosterEditor(before.text);
  const said = new Set(editor.warnings);
  const result = change(editor);
  // What the roster says about its hosts, as it stands after the change: nothing about a
  // host `rm` just took out.
  const warnings = [...before.warnings.filter((w) => !said.has(w)), ...editor.warnings];
  return { before, editor, result, warnings };
}

/** Saves a damaged roster's text as `<path>.damaged-<UTC time>`, never over an earlier one. */
async function keepAside(path: string, text: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/:/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 1;; n++) {
    const aside = `${path}.damaged-${stamp}${n > 1 ? `-${n}` : ""}`;
    if (await Deno.lstat(aside).then(() => true, () => false)) continue;
    await writeFileAtomically(aside, text);
    return aside;
  }
}

async function writeAtomically(path: string, text: string, before: Roster): Promise<void> {
  const mark = before.bom ? BOM : "";
  try {
    // The .bak is the previous *good* file: never overwrite it with a damaged one.
    if (before.text !== "" && before.damaged === undefined) {
      await writeFileAtomically(path + ".bak", mark + before.text);
    }
    await writeFileAtomically(path, mark + text);
  } catch (e) {
    // Each write fails before its rename, so the roster is the file it was: said, as a failed
    // .bak on a full disk reads as if the roster might be lost.
    if (!(e instanceof PoolError)) throw e;
    throw new PoolError(`${e.message} (roster left untouched)`, e.exitCode, e.kind);
  }
}
