/** Bytes received but not yet sealed or opened, taken off the front in exact sizes without copying. */
export class ChunkBuffer {
  private readonly pieces: Buffer[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  append(piece: Buffer): void {
    if (piece.length > 0) {
      this.pieces.push(piece);
      this.bytes += piece.length;
    }
  }

  /** A copy of the first `size` bytes (at most `length`), left in place. */
  peek(size: number): Buffer {
    const wanted = Math.min(size, this.bytes);
    const first = this.pieces[0];
    if (first !== undefined && first.length >= wanted) {
      return Buffer.from(first.subarray(0, wanted));
    }
    return Buffer.concat(this.pieces, this.bytes).subarray(0, wanted);
  }

  /** The first `size` bytes (at most `length`), as the pieces (or parts of pieces) that held them. */
  take(size: number): Buffer[] {
    const taken: Buffer[] = [];
    let needed = Math.min(size, this.bytes);
    this.bytes -= needed;
    while (needed > 0) {
      const piece = this.pieces[0];
      if (piece.length <= needed) {
        taken.push(piece);
        this.pieces.shift();
        needed -= piece.length;
      } else {
        taken.push(piece.subarray(0, needed));
        this.pieces[0] = piece.subarray(needed);
        needed = 0;
      }
    }
    return taken;
  }
}

/** Sealed bytes split into the ciphertext pieces and the trailing tag (which may straddle two pieces). */
export function splitTag(pieces: readonly Buffer[], tagBytes: number): { ciphertext: Buffer[]; tag: Buffer } {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const ciphertext: Buffer[] = [];
  const tag: Buffer[] = [];
  let offset = 0;
  for (const piece of pieces) {
    const boundary = total - tagBytes - offset;
    if (boundary >= piece.length) {
      ciphertext.push(piece);
    } else if (boundary <= 0) {
      tag.push(piece);
    } else {
      ciphertext.push(piece.subarray(0, boundary));
      tag.push(piece.subarray(boundary));
    }
    offset += piece.length;
  }
  return { ciphertext, tag: Buffer.concat(tag) };
}
