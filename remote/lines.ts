/**
 * Splits a byte stream into whole lines as they arrive.
 *
 * Calls `onLine` once per complete line (without its newline); a last line
 * with no newline is delivered at the end. Returns the full text when asked
 * to keep it, so a caller can both stream and collect.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
    }
  }
  pending += decoder.decode();
  if (pending !== "") onLine(pending.replace(/\r$/, ""));
}
