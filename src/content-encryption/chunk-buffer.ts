/** Bytes received but not yet sealed or opened, taken off the front in exact sizes. */
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

  /** The first `size` bytes (at most `length`), copied only when they span several pieces. */
  take(size: number): Buffer {
    const first = this.pieces[0];
    if (first && first.length >= size) {
      this.bytes -= size;
      if (first.length === size) {
        this.pieces.shift();
        return first;
      }
      this.pieces[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    const parts: Buffer[] = [];
    let needed = Math.min(size, this.bytes);
    const taken = needed;
    while (needed > 0) {
      const piece = this.pieces[0];
      if (piece.length <= needed) {
        parts.push(piece);
        this.pieces.shift();
        needed -= piece.length;
      } else {
        parts.push(piece.subarray(0, needed));
        this.pieces[0] = piece.subarray(needed);
        needed = 0;
      }
    }
    this.bytes -= taken;
    return Buffer.concat(parts, taken);
  }
}
