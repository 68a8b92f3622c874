import { ScimFilterError } from './scim-filter.error';

// scim2-parse-filter decodes only `\"` in quoted values: it re-escapes every other backslash and
// leaves the escape raw (`"a\\b"` arrives as `a\\b`), and a value ending in `\\` breaks its
// tokenizer. These two steps, one before and one after it, give full JSON string decoding.

/** Spells the `\\` escape inside quoted values as the equivalent `\u005c`, which the library passes through intact. */
export function spellOutEscapedBackslashes(filter: string): string {
  let result = '';
  let inString = false;
  for (let i = 0; i < filter.length; i += 1) {
    const char = filter[i];
    if (inString && char === '\\') {
      const next = filter[i + 1] ?? '';
      result += next === '\\' ? '\\u005c' : `\\${next}`;
      i += 1;
      continue;
    }
    if (char === '"') {
      inString = !inString;
    }
    result += char;
  }
  return result;
}

/** Finishes the JSON decoding of a quoted value the library started. */
export function decodeFilterString(partlyDecoded: string): string {
  try {
    return JSON.parse(`"${partlyDecoded.replace(/"/g, '\\"')}"`) as string;
  } catch {
    throw new ScimFilterError(
      'Invalid filter: a quoted value holds a backslash that starts no JSON escape: write \\\\ for a backslash itself (\\" for a double quote, \\uXXXX for any character)',
    );
  }
}
