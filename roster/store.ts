/**
 * Where the roster lives and how it is read and written safely.
 *
 * Reads never lock (a reader sees either the old or the new file, thanks to
 * rename). Every change runs `updateRoster`: exclusive lock → read →
 * edit the text in place (comments and unknown keys survive) → write a temp
 * file beside it → keep the previous good file as `.bak` → rename.
 */

import { PoolError } from "../errors.ts";
import type { Host } from "./host.ts";
import { parseRoster, RosterShapeError, RosterSyntaxError } from "./parse.ts";
import { RosterEditor } from "./editor.ts";
import { readTextIfExists, withFileLock, writeFileAtomically } from "../state/files.ts";
import { rosterPath } from "../state/dir.ts";

export interface Roster {
  path: string;
  /** The text the hosts came from ("" when there is no file yet). */
  text: string;
  doc: Record<string, unknown>;
  hosts: Host[];
  /** Things the user should hear about (a recovery from .bak), printed by the verb. */
  warnings: string[];
}

const readText = (path: string) => readTextIfExists(path, "roster");

function parseOrExplain(path: string, text: string) {
  try {
    return parseRoster(text);
  } catch (e) {
    if (e instanceof RosterSyntaxError) {
      throw new PoolError(
        `Cannot read roster ${path}:${e.line}:${e.column}: ${e.message} (file left untouched)`,
      );
    }
    if (e instanceof RosterShapeError) {
      throw new PoolError(`Cannot read roster ${path}: ${e.message} (file left untouched)`);
    }
    throw e;
  }
}

/** An empty or cut-short file: the only damage we repair on our own, and only from a good .bak. */
function looksTruncated(text: string): boolean {
  if (text.trim() === "") return true;
  try {
    parseRoster(text);
    return false;
  } catch (e) {
    return e instanceof RosterSyntaxError && e.truncated;
  }
}

export async function readRoster(path = rosterPath()): Promise<Roster> {
  const text = await readText(path);
  if (text === null) return { path, text: "", doc: {}, hosts: [], warnings: [] };
  if (looksTruncated(text)) {
    const backup = await readText(path + ".bak");
    if (backup !== null && !looksTruncated(backup)) {
      const { doc, hosts } = parseOrExplain(path + ".bak", backup);
      const what = text.trim() === "" ? "is empty" : "is cut short";
      return {
        path,
        text: backup,
        doc,
        hosts,
        warnings: [`roster ${path} ${what}; using ${path}.bak (${hosts.length} hosts)`],
      };
    }
    if (text.trim() === "") return { path, text: "", doc: {}, hosts: [], warnings: [] };
  }
  const { doc, hosts } = parseOrExplain(path, text);
  return { path, text, doc, hosts, warnings: [] };
}

export interface UpdateOptions {
  /** Only `rm` may leave a roster that had hosts with none. */
  allowEmpty?: boolean;
}

/**
 * Runs `change` on the current roster under an exclusive lock and saves the
 * result atomically. Returns what `change` returned, plus any read warnings.
 */
export async function updateRoster<T>(
  change: (editor: RosterEditor) => T,
  options: UpdateOptions = {},
  path = rosterPath(),
): Promise<{ result: T; warnings: string[] }> {
  return await withFileLock(path, async () => {
    const before = await readRoster(path);
    const editor = new RosterEditor(before.text);
    const result = change(editor);
    if (editor.changed) {
      if (before.hosts.length > 0 && editor.hosts.length === 0 && !options.allowEmpty) {
        throw new PoolError(
          `Refusing to replace roster ${path} (${before.hosts.length} hosts) with an empty one`,
        );
      }
      await writeAtomically(path, editor.text, before);
    }
    return { result, warnings: before.warnings };
  });
}

async function writeAtomically(path: string, text: string, before: Roster): Promise<void> {
  // The .bak is the previous *good* file: never overwrite it with a damaged one.
  if (before.text !== "" && before.warnings.length === 0) {
    await writeFileAtomically(path + ".bak", before.text);
  }
  await writeFileAtomically(path, text);
}
