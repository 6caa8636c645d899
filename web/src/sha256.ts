// sha256 of the bytes actually uploaded; the server compares it with the stored object.
// Web Crypto exists only in secure contexts (https, localhost). A phone testing the local
// stack over the LAN (http://192.168.x.x) has none, so @noble/hashes stands in.
import { sha256 } from '@noble/hashes/sha2.js';

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  if (globalThis.crypto?.subtle) {
    return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
  }
  return toHex(sha256Fallback(new Uint8Array(data)));
}

/** The digest without Web Crypto; exported for the unit test that pins it to node:crypto. */
export function sha256Fallback(message: Uint8Array): Uint8Array {
  return sha256(message);
}
