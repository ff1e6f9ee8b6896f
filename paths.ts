/**
 * POSIX path helpers: node:path's join, dirname, basename, resolve and
 * isAbsolute, with the same results (paths_test.ts checks them against it).
 *
 * Why not node:path: importing any node: module sets up Deno's Node layer,
 * ~10 ms of every start, and pool needs nothing else from it at start-up.
 * pool runs on Linux and macOS only, so POSIX rules are all there is.
 */

/** "." and ".." folded, repeated slashes made one; a trailing slash kept, as node:path does. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") segments.push(segment);
    else if (segments.length > 0 && segments.at(-1) !== "..") segments.pop();
    else if (!absolute) segments.push("..");
  }
  const body = segments.join("/");
  const result = absolute ? "/" + body : body || ".";
  return path.endsWith("/") && result !== "/" ? result + "/" : result;
}

export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** An absolute path: `parts` from the right until one is absolute, then the working directory. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!isAbsolute(path)) path = path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`;
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/** `path` without its trailing slashes, except a path of slashes only. */
function trimmed(path: string): string {
  const end = path.search(/\/+$/);
  return end > 0 ? path.slice(0, end) : end === 0 ? "/" : path;
}

export function dirname(path: string): string {
  if (path === "") return ".";
  const p = trimmed(path);
  const slash = p.lastIndexOf("/");
  if (slash === -1) return ".";
  return slash === 0 ? "/" : p.slice(0, slash);
}

export function basename(path: string, suffix?: string): string {
  const p = trimmed(path);
  if (p === "/") return "";
  const base = p.slice(p.lastIndexOf("/") + 1);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}
