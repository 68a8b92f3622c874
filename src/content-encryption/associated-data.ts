/**
 * Several values as one unambiguous byte string (each preceded by its length), for AES-GCM
 * associated data and HKDF info: ("ab", "c") and ("a", "bc") never encode alike.
 */
export function associatedData(parts: readonly (string | Uint8Array)[]): Buffer {
  const encoded: Buffer[] = [];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    encoded.push(length, bytes);
  }
  return Buffer.concat(encoded);
}
