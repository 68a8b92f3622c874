import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import { RequestProblem } from '../errors/request-problem';

/**
 * Real SCIM and admin bodies nest a handful of levels (a PatchOp value holding an extension's
 * `manager` object is six); the limit leaves a wide margin and keeps every recursive reader of a
 * body (class-transformer, the PATCH mapper) far from the stack's limit.
 */
export const MAX_JSON_NESTING_DEPTH = 64;

type Done = (error: Error | null, value?: unknown) => void;
// Fastify types its parsers as possibly async; its default JSON parser answers through `done`.
type TextParser = (request: FastifyRequest, text: string, done: Done) => unknown;

/**
 * Wraps Fastify's JSON parser (safe against prototype poisoning) with what it does not check:
 * the declared charset (only UTF-8, 415 otherwise), bytes that are not UTF-8, nesting deeper
 * than MAX_JSON_NESTING_DEPTH and escapes of lone surrogates (400 `invalidSyntax`), so nothing
 * is ever decoded into replacement characters or recursed into without bound. An empty body
 * reads as {} (as it did on Express): clients send Content-Type on body-less POSTs.
 */
export function checkedJsonParser(parseText: TextParser): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    assertUtf8Declared(request.headers['content-type']);
    if (body.length === 0) {
      done(null, {});
      return;
    }
    if (!isUtf8(body)) {
      throw invalidSyntax('The request body is not valid UTF-8: send JSON encoded as UTF-8.');
    }
    if (nestsDeeperThan(body, MAX_JSON_NESTING_DEPTH)) {
      throw invalidSyntax(`The request body nests objects and arrays more than ${MAX_JSON_NESTING_DEPTH} levels deep.`);
    }
    const text = body.toString('utf8');
    parseText(request, text, (error, value) => {
      if (error === null && mayEscapeSurrogates(text) && containsLoneSurrogate(value)) {
        done(invalidSyntax('The request body escapes half of a UTF-16 surrogate pair (such as \\ud800 alone), which is not a character.'));
        return;
      }
      done(error, value);
    });
  };
}

/** RFC 8259 §8.1: JSON exchanged between systems is UTF-8; no charset parameter means UTF-8. */
function assertUtf8Declared(contentType: string | undefined): void {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const [name, ...rest] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') {
      continue;
    }
    const charset = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (charset.toLowerCase() !== 'utf-8') {
      const shown = charset.length > 40 ? `${charset.slice(0, 37)}...` : charset;
      throw new RequestProblem(
        415,
        `The body is declared as charset=${shown}; only UTF-8 is accepted: send it as UTF-8 with charset=utf-8 or no charset.`,
      );
    }
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * One pass over the raw bytes, counting brackets outside strings: exact for valid JSON, and
 * invalid JSON is refused by the parser anyway. String contents are skipped with indexOf (a long
 * message body costs next to nothing); UTF-8 continuation bytes never equal these ASCII bytes.
 */
export function nestsDeeperThan(json: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let index = 0; index < json.length; index += 1) {
    const byte = json[index];
    if (byte === QUOTE) {
      index = closingQuote(json, index);
      if (index < 0) {
        return false;
      }
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) {
        return true;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote that ends the string opened at `opening`: one after an even run of backslashes. */
function closingQuote(json: Uint8Array, opening: number): number {
  for (let index = json.indexOf(QUOTE, opening + 1); index >= 0; index = json.indexOf(QUOTE, index + 1)) {
    let backslashes = 0;
    while (json[index - 1 - backslashes] === BACKSLASH) {
      backslashes += 1;
    }
    if (backslashes % 2 === 0) {
      return index;
    }
  }
  return -1;
}

/** Valid UTF-8 cannot hold a surrogate, so only a `\uD8xx`–`\uDFxx` escape can produce one. */
function mayEscapeSurrogates(text: string): boolean {
  return /\\u[dD][89a-fA-F]/.test(text);
}

// With the u flag, a well-formed pair is one code point: only a lone half matches.
const LONE_SURROGATE = /\p{Cs}/u;

/** Depth is bounded by MAX_JSON_NESTING_DEPTH, so the recursion is too. */
function containsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') {
    return LONE_SURROGATE.test(value);
  }
  if (Array.isArray(value)) {
    return value.some(containsLoneSurrogate);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, member]) => LONE_SURROGATE.test(key) || containsLoneSurrogate(member));
  }
  return false;
}

function invalidSyntax(detail: string): RequestProblem {
  return new RequestProblem(400, detail, 'invalidSyntax');
}
