import { ScimException } from './scim-error';
import { SCIM_USER_SCHEMA } from './scim-user.mapper';

const ALWAYS_RETURNED = new Set(['id', 'schemas']);
const URN_PREFIX = `${SCIM_USER_SCHEMA.toLowerCase()}:`;

export type Projection = { attributes: string[] | null; excludedAttributes: string[] };

/** RFC 7644 §3.4.2.5: comma-separated, case-insensitive, dotted or URN-qualified attribute names. */
export function readProjection(attributes: unknown, excludedAttributes: unknown): Projection {
  return {
    attributes: attributes === undefined ? null : names(attributes, 'attributes'),
    excludedAttributes: excludedAttributes === undefined ? [] : names(excludedAttributes, 'excludedAttributes'),
  };
}

function names(raw: unknown, parameter: string): string[] {
  if (typeof raw !== 'string') {
    throw new ScimException(400, `${parameter} must be given once, as a comma-separated list.`, 'invalidValue');
  }
  return raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
    .map((name) => (name.startsWith(URN_PREFIX) ? name.slice(URN_PREFIX.length) : name));
}

/** Keeps `id` and `schemas` always; otherwise only what was asked for, minus what was excluded. */
export function project<T extends Record<string, unknown>>(resource: T, projection: Projection): Partial<T> {
  if (projection.attributes === null && projection.excludedAttributes.length === 0) {
    return resource;
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    if (ALWAYS_RETURNED.has(lower)) {
      result[key] = value;
      continue;
    }
    const kept = keep(lower, value, projection);
    if (kept !== undefined) {
      result[key] = kept;
    }
  }
  return result as Partial<T>;
}

function keep(key: string, value: unknown, projection: Projection): unknown {
  if (projection.excludedAttributes.includes(key)) {
    return undefined;
  }
  const excludedSubs = projection.excludedAttributes.filter((name) => name.startsWith(`${key}.`)).map((name) => name.slice(key.length + 1));
  let selectedSubs: string[] | null = null;
  if (projection.attributes !== null) {
    if (projection.attributes.includes(key)) {
      selectedSubs = null;
    } else {
      selectedSubs = projection.attributes.filter((name) => name.startsWith(`${key}.`)).map((name) => name.slice(key.length + 1));
      if (selectedSubs.length === 0) {
        return undefined;
      }
    }
  }
  if (selectedSubs === null && excludedSubs.length === 0) {
    return value;
  }
  const pick = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) {
      return item;
    }
    return Object.fromEntries(
      Object.entries(item).filter(([sub]) => {
        const lowerSub = sub.toLowerCase();
        return (selectedSubs === null || selectedSubs.includes(lowerSub)) && !excludedSubs.includes(lowerSub);
      }),
    );
  };
  return Array.isArray(value) ? value.map(pick) : pick(value);
}
