/** A JSON object: what a request body or operation must be (not null, not an array). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The member called `name` in any letter case (SCIM attribute names are case-insensitive),
 * looked up among own keys only, so inherited names such as `constructor` are never found.
 */
export function memberOf(object: JsonObject, name: string): { found: boolean; value: unknown } {
  const wanted = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? { found: false, value: undefined } : { found: true, value: object[key] };
}

/** A short description of a value for error messages, never echoing more than a few characters. */
export function describeValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
