/**
 * What a roster target says by itself: `user@host`, `ssh://[user@]host[:port]`,
 * or an ssh_config alias (whose real host only `ssh -G` knows).
 */

export interface TargetParts {
  user?: string;
  host: string;
  port?: number;
}

export function splitTarget(target: string): TargetParts {
  if (target.startsWith("ssh://")) {
    const url = new URL(target);
    return {
      ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
      host: url.hostname.replace(/^\[|\]$/g, ""),
      ...(url.port ? { port: Number(url.port) } : {}),
    };
  }
  const at = target.lastIndexOf("@");
  return at === -1 ? { host: target } : { user: target.slice(0, at), host: target.slice(at + 1) };
}
