/**
 * Buffers a stream stage allocated for itself and hands on for one consumer only, which may
 * give their memory back as soon as it has used them (releaseIfMarked), instead of leaving it to
 * the garbage collector.
 *
 * Why: V8 counts Buffer memory as external memory, and runs a full mark-compact of the whole heap
 * each time enough of it was allocated since the last one. Streaming a large file through a
 * transform (encryption) allocates its size again, and a service heap is large: those collections
 * cost more CPU than the cipher. Memory given back at once never counts towards the next one.
 *
 * Only the stage that allocated a buffer marks it, and only when nothing else holds a view of it
 * (a piece of the socket or of a pool never is); only the one stage that last reads it releases it,
 * once its bytes are written or copied. A released buffer reads as empty.
 */
const releasable = new WeakSet<Buffer>();

/** Below this, releasing early saves too little to be worth a call. */
const SMALLEST_RELEASED_BYTES = 4096;

type DetachableArrayBuffer = ArrayBuffer & { transfer(newLength: number): ArrayBuffer };

/** Marks a buffer this stage allocated, that no one else has a view of, as the consumer's to release. */
export function markReleasable(buffer: Buffer): Buffer {
  if (buffer.length >= SMALLEST_RELEASED_BYTES && ownsItsMemory(buffer)) {
    releasable.add(buffer);
  }
  return buffer;
}

/** Gives back a marked buffer's memory now (once its bytes are used); any other buffer is left as it is. */
export function releaseIfMarked(buffer: Buffer): void {
  if (!releasable.delete(buffer) || !ownsItsMemory(buffer)) {
    return;
  }
  try {
    // Detaching hands the memory back to the allocator and off V8's count at once.
    (buffer.buffer as DetachableArrayBuffer).transfer(0);
  } catch {
    // Not detachable (a runtime that refuses): the garbage collector takes it, as for any buffer.
  }
}

/** A buffer that spans all of its own ArrayBuffer: not a slice of a pool or of a larger read. */
function ownsItsMemory(buffer: Buffer): boolean {
  return buffer.buffer instanceof ArrayBuffer && buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength;
}
