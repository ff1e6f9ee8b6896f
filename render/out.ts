/**
 * Every byte pool prints goes through here: whole writes, synchronously, so
 * lines from concurrent hosts never interleave mid-line, and a closed pipe
 * (`pool on all … | head`) ends output quietly instead of crashing.
 */

const encoder = new TextEncoder();
let stdoutClosed = false;

function writeAll(file: typeof Deno.stdout, bytes: Uint8Array): boolean {
  try {
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return false;
    throw e;
  }
}

export function out(text: string): void {
  if (stdoutClosed) return;
  if (!writeAll(Deno.stdout, encoder.encode(text))) stdoutClosed = true;
}

export function outLine(line = ""): void {
  out(line + "\n");
}

export function err(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text));
}

export function errLine(line = ""): void {
  err(line + "\n");
}

export function errBytes(bytes: Uint8Array): void {
  writeAll(Deno.stderr, bytes);
}

export function warn(message: string): void {
  errLine(`pool: warning: ${message}`);
}

/** Colour only on a terminal, and never with NO_COLOR (https://no-color.org). */
export function useColor(file: typeof Deno.stdout = Deno.stdout): boolean {
  return file.isTerminal() && !Deno.env.get("NO_COLOR");
}
