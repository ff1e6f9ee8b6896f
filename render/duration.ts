/** A duration in milliseconds for messages: `30s`, `5m`, `1h`, or `no limit` for Infinity. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "no limit";
  const s = ms / 1000;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${Number(s.toFixed(3))}s`;
}
