/** `uname -s` → the roster's `os` value. Pure, so it is tested on real outputs. */

export type Os = "linux" | "macos" | "unknown";

export function parseOs(output: string): Os {
  const kernel = output.trim().split("\n").pop()?.trim() ?? "";
  if (kernel === "Linux") return "linux";
  if (kernel === "Darwin") return "macos";
  return "unknown";
}
