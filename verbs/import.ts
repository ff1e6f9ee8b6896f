/**
 * `pool import ssh-config [--match PATTERN] [--file F] [--dry-run]`: add the
 * literal `Host` aliases of an ssh_config to the roster.
 *
 * Wildcard and negated patterns are not hosts and are skipped, and so are
 * names already in the roster. Each alias is resolved with `ssh -G` (an
 * alias ssh cannot resolve is reported, not added) and asked for its OS.
 * An alias of a machine the roster, or an alias before it, already reaches
 * (`Host web1 web1.lan`) is reported present, not added: `pool on all` would
 * run there twice.
 * The roster keeps the alias, which pool's own ssh config resolves: an alias
 * of another `--file` that it resolves elsewhere is reported, not added.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { resolve } from "../paths.ts";
import { homeDir } from "../state/dir.ts";
import { userSshConfig } from "../remote/ssh.ts";
import { PoolError, UsageError } from "../errors.ts";
import { checkName, checkTarget, type Host } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { probeOs } from "../remote/probe.ts";
import { configError } from "../remote/ssh.ts";
import { machineKey, rosterMachines, shownTarget } from "../remote/same_host.ts";
import { type Deps, editRoster, loadRoster, type Run } from "../deps/deps.ts";

/** `ssh -G` runs at once: each is a short local process, no connection. */
const RESOLVE_JOBS = 8;

/** The literal aliases of every `Host` line, in file order. */
export function literalHosts(configText: string): string[] {
  const names: string[] = [];
  for (const raw of configText.split("\n")) {
    // A comment starts a line or a word, as OpenSSH reads it: `Host gpu#2` names gpu#2.
    const line = raw.replace(/(^|\s)#.*/, "").trim();
    const m = /^host(?:\s*=\s*|\s+)(.+)$/i.exec(line);
    if (!m) continue;
    for (const name of configWords(m[1])) {
      if (/[*?!]/.test(name) || name === "" || names.includes(name)) continue;
      names.push(name);
    }
  }
  return names;
}

/**
 * A config line's words as ssh splits them: quotes hold a word together
 * (`"my host"` is one alias, which no roster name can be), and go.
 */
function configWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(m[1] ?? m[2] ?? m[3]);
  }
  return words;
}

/** ssh's own pattern language for --match: `*` and `?`. */
function matches(name: string, pattern: string): boolean {
  const re = new RegExp(
    "^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") +
      "$",
  );
  return re.test(name);
}

export interface ImportOptions {
  file?: string;
  match?: string;
  dryRun?: boolean;
  json?: boolean;
}

export async function importSshConfig(options: ImportOptions, deps: Deps): Promise<number> {
  // An unset variable (`--match "$PAT"`) is no filter meant as "every alias", nor a file.
  if (options.match === "") throw new UsageError('--match expects a pattern like "gpu-*", got ""');
  if (options.file === "") throw new UsageError('--file expects a path to an ssh_config, got ""');
  const { out } = deps;
  // With --json, one object at the end: each alias with what happened to it.
  const report: Record<string, unknown>[] = [];
  // Without POOL_SSH_CONFIG, the file ssh itself reads: the account's, even where $HOME is not it.
  const ownConfig = deps.env("POOL_SSH_CONFIG") ?? userSshConfig(homeDir(deps.env));
  const file = options.file ?? ownConfig;
  // Another file's aliases are added as names pool's own ssh config resolves.
  const elsewhere = resolve(file) === resolve(ownConfig) ? null : file;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new PoolError(`cannot read ssh config ${file}: ${(e as Error).message}`);
  }
  const roster = await loadRoster(deps);
  // Every name the file holds, a host left out (unusable) too: adding one would fail the import.
  const known = new Set(roster.names);
  const candidates = literalHosts(text).filter((n) =>
    options.match === undefined || matches(n, options.match)
  );
  // An alias a host already reaches under another name (`pool add gpu1 h1`, then h1 imported)
  // is present too: added again, `pool on all` would run twice on one machine.
  const byTarget = new Map(
    [...roster.hosts, ...roster.unusable.map((u) => u.entry)]
      .filter((h) => typeof h.ssh === "string")
      .map((h) => [h.ssh as string, h.name as string]),
  );
  // A pattern that matches no alias may well be a typo: said, though nothing failed.
  if (options.match !== undefined && candidates.length === 0) {
    out.warn(`no Host alias in ${file} matches ${options.match}`);
  }
  const fresh = candidates.filter((n) => !known.has(n) && !byTarget.has(n));
  for (const n of candidates.filter((n) => known.has(n) || byTarget.has(n))) {
    const as = known.has(n) ? undefined : byTarget.get(n);
    if (options.json) {
      report.push({ name: n, action: "present", ...as ? { reason: `in roster as ${as}` } : {} });
    } else out.errLine(`= ${n} (already in roster${as ? ` as ${as}` : ""})`);
  }

  // A config ssh cannot read resolves nothing: one error naming it, not a skip per alias.
  for (const config of new Set([file, ownConfig])) {
    const complaint = await configError(config, deps.signal);
    // Stopped (Ctrl-C) while ssh read it: the stop is the answer, not what was cut short.
    if (deps.signal.aborted) return 0;
    if (complaint) throw new PoolError(`ssh cannot read ${config}: ${complaint}`);
  }
  const invalid = fresh.map((name) => {
    try {
      checkName(name);
      checkTarget(name);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  });
  // Each alias is one `ssh -G`: asked several at a time, reported in file order.
  const resolutions = await poolMap(
    fresh,
    RESOLVE_JOBS,
    async (name, i) =>
      invalid[i] === null
        ? await Promise.all([
          deps.runner.resolve(name, undefined, deps.signal),
          elsewhere === null ? null : deps.runner.resolve(name, elsewhere, deps.signal),
        ])
        : [null, null],
  );
  // Stopped meanwhile: an alias whose ssh -G was cut short is not one ssh cannot resolve.
  if (deps.signal.aborted) return 0;
  // Only usable hosts: a target the roster leaves out is never handed to ssh (its literal alias
  // is checked above).
  const machines = await rosterMachines(
    resolutions.some(([resolved]) => resolved) ? roster.hosts : [],
    deps.runner,
    deps.signal,
  );
  if (deps.signal.aborted) return 0;
  const usable: { name: string; where: string; shown: string }[] = [];
  for (const [i, name] of fresh.entries()) {
    if (invalid[i] !== null) {
      out.warn(`skipping ${name}: ${invalid[i]}`);
      report.push({ name, action: "skipped", reason: invalid[i] });
      continue;
    }
    const [resolved, there] = resolutions[i];
    if (!resolved) {
      out.warn(`skipping ${name}: ssh -G cannot resolve it`);
      report.push({ name, action: "skipped", reason: "ssh -G cannot resolve it" });
      continue;
    }
    const where = `${resolved.user}@${resolved.hostname}:${resolved.port}`;
    const meant = there && `${there.user}@${there.hostname}:${there.port}`;
    if (meant !== null && meant !== where) {
      const reason = `${elsewhere} connects it to ${meant}, pool's ssh config ${ownConfig} to ` +
        `${where} (Include ${elsewhere} there, or set POOL_SSH_CONFIG)`;
      out.warn(`skipping ${name}: ${reason}`);
      report.push({ name, action: "skipped", reason });
      continue;
    }
    // The first name of a machine is added; each later one is present, as a roster name is.
    const key = machineKey(resolved, name);
    const twin = machines.get(key);
    if (twin !== undefined) {
      if (options.json) report.push({ name, action: "present", reason: `same host as ${twin}` });
      else out.errLine(`= ${name} (same host as ${twin})`);
      continue;
    }
    machines.set(key, name);
    usable.push({ name, where, shown: shownTarget(resolved) });
  }
  const done = () => {
    if (options.json) out.outLine(jsonLine({ hosts: report }));
    return 0;
  };
  if (options.dryRun) {
    for (const u of usable) {
      if (options.json) report.push({ name: u.name, action: "would_add", target: u.where });
      else out.outLine(`would add ${u.name} (${u.shown})`);
    }
    return done();
  }
  const answers = await poolMap(
    usable,
    8,
    (u) => probeOs(deps.runner, { name: u.name, ssh: u.name }, deps.signal),
  );
  if (deps.signal.aborted) return 0; // stopped: the exit code is the signal's, nothing is added
  const added = await editRoster(deps, (editor) =>
    usable.filter((u, i) => {
      if (editor.find(u.name)) return false; // added meanwhile by someone else
      const host: Host = { name: u.name, ssh: u.name, sudo: false, os: answers[i].os };
      editor.add(host);
      return true;
    }));
  for (const u of added) {
    const a = answers[usable.indexOf(u)];
    if (a.failure) out.warn(`${u.name} did not answer (${a.failure}); added with os unknown`);
    if (options.json) {
      report.push({
        name: u.name,
        action: "added",
        target: u.where,
        os: a.os,
        status: a.failure ? a.result.outcome : "ok",
        ...(a.failure ? { reason: a.failure } : {}),
      });
    } else out.outLine(`+ ${u.name} (${u.name})  ${a.os}`);
  }
  return done();
}

export const importCommand = (run: Run) =>
  new Command("import")
    .description(
      "add hosts from elsewhere: ssh-config adds the literal Host aliases of an ssh_config",
    )
    .argument("<source>", "ssh-config")
    .option(
      "--file <path>",
      "the ssh_config to read (default $POOL_SSH_CONFIG, else ~/.ssh/config)",
    )
    .option("--match <pattern>", "only aliases matching this ssh-style pattern (* and ?)")
    .option("--dry-run", "show what would be added; change nothing")
    .option("--json", "each alias with its action: added, would_add, present or skipped (and why)")
    .addHelpText("after", "\nExample:\n  pool import ssh-config --match 'gpu-*' --dry-run")
    .action((source: string, opts: ImportOptions) => {
      if (source !== "ssh-config") {
        throw new UsageError(`unknown import source "${source}" (known: ssh-config)`);
      }
      return run((deps) => importSshConfig(opts, deps));
    });
