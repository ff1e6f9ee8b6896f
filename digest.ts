/**
 * SHA-256 as hex, synchronously. From @noble/hashes rather than `node:crypto`:
 * loading Deno's node:crypto costs ~30 ms at every start, and pool only needs
 * stable short names (control sockets, group names, config fingerprints).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
