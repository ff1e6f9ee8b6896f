/**
 * Ship and run, for `route --push` and `bg --push`: local paths copied to
 * the host the dispatcher chose — under its reservation, before the command
 * starts — and the command run in the first one's copy. "Run my checkout's
 * tests on whichever box has room", in one command.
 */

import { basename } from "../paths.ts";
import { PoolError, UsageError } from "../errors.ts";
import type { Host } from "../roster/host.ts";
import type { Output } from "../render/out.ts";
import { copyDetail } from "../render/copies.ts";
import { shQuote } from "../remote/quote.ts";
import type { Runner } from "../remote/runner.ts";
import { cdPath, homeOf, remotePath } from "../remote/copy_paths.ts";
import type { CopyResult } from "../remote/transfer.ts";

/** `--push PATH[:DEST]` as typed. */
export interface PushSpec {
  path: string;
  dest?: string;
}

/** `.` → {path: "."}; `.:work/app` → {path: ".", dest: "work/app"} (the first `:` splits). */
export function parsePushSpec(text: string): PushSpec {
  const colon = text.indexOf(":");
  const [path, dest] = colon === -1
    ? [text, undefined]
    : [text.slice(0, colon), text.slice(colon + 1)];
  if (path === "" || dest === "") {
    throw new UsageError(`--push expects PATH or PATH:DEST, got "${text}"`);
  }
  return dest === undefined ? { path } : { path, dest };
}

export interface ShipPlan {
  /** What was typed, for messages. */
  path: string;
  /** The source as the copy takes it: a directory's contents (trailing /), or a file. */
  source: string;
  /** The directory on the host. */
  dest: string;
}

/** Where shipped paths land when no DEST is given: ~/.pool/push/<directory name>. */
export const SHIP_DIR = ".pool/push";

/**
 * Checks each path here before anything is reserved: a directory ships its
 * contents to DEST (default ~/.pool/push/<its name>), a file ships into DEST
 * (default ~/.pool/push).
 */
export async function planShipping(specs: PushSpec[]): Promise<ShipPlan[]> {
  const plans: ShipPlan[] = [];
  for (const spec of specs) {
    let info: Deno.FileInfo;
    let real: string;
    try {
      info = await Deno.stat(spec.path);
      real = await Deno.realPath(spec.path);
    } catch (e) {
      throw new PoolError(`cannot read ${spec.path}: ${(e as Error).message.replace(/,.*$/, "")}`);
    }
    if (info.isDirectory) {
      const dest = spec.dest ?? `${SHIP_DIR}/${basename(real) || "root"}`;
      plans.push({ path: spec.path, source: spec.path.replace(/\/*$/, "/"), dest });
    } else {
      plans.push({ path: spec.path, source: spec.path, dest: spec.dest ?? SHIP_DIR });
    }
  }
  return plans;
}

/**
 * Copies each plan to `host`, one line each on stderr (the command's stdout
 * stays its own). Returns the failed copy, or null when all arrived.
 */
export async function ship(
  host: Host,
  plans: ShipPlan[],
  options: { gitignore?: boolean },
  deps: { runner: Runner; out: Output; signal: AbortSignal },
): Promise<CopyResult | null> {
  for (const plan of plans) {
    const result = await deps.runner.copy(host, {
      direction: "push",
      sources: [plan.source],
      dest: plan.dest,
      gitignore: options.gitignore,
    }, { timeoutMs: Infinity, signal: deps.signal });
    const where = `${plan.path} to ${host.name}:${plan.dest}`;
    if (result.outcome !== "ok") {
      deps.out.errLine(`pool: could not push ${where}: ${copyDetail(result, "sent")}`);
      return result;
    }
    deps.out.errLine(`pool: pushed ${where} (${result.method}, ${copyDetail(result, "sent")})`);
  }
  return null;
}

/** The command, run in the first shipped copy (the login directory when nothing was shipped). */
export function inShipped(plans: ShipPlan[], command: string, host: Host): string {
  if (plans.length === 0) return command;
  return `cd -- ${shQuote(cdPath(remotePath(plans[0].dest, homeOf(host))))} && ${command}`;
}
