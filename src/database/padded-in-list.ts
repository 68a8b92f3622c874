/**
 * An `IN (…)` list whose length does not make a new statement: the values are padded to the next
 * power of two by repeating the last one (a repeat changes nothing in an IN list), so lists of any
 * length run one of a few statements. The shape is the padded length, for a statementFamily whose
 * build writes it with `inListPlaceholders`.
 */
export function paddedInList<T>(values: readonly T[]): { shape: string; values: T[] } {
  if (values.length === 0) {
    throw new Error('an IN list needs at least one value');
  }
  let size = 1;
  while (size < values.length) {
    size *= 2;
  }
  const padded = [...values];
  while (padded.length < size) {
    padded.push(values[values.length - 1]);
  }
  return { shape: String(size), values: padded };
}

/** `?, ?, …` for a shape from paddedInList. */
export function inListPlaceholders(shape: string): string {
  const size = Number(shape);
  if (!Number.isSafeInteger(size) || size < 1 || (size & (size - 1)) !== 0) {
    throw new Error(`not an IN list shape: ${shape}`);
  }
  return Array.from({ length: size }, () => '?').join(', ');
}
