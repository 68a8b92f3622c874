import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestProblem } from '../errors/request-problem';
import { checkedJsonParser, MAX_JSON_NESTING_DEPTH, nestsDeeperThan } from './json-body';

const nested = (depth: number, inner = '1'): string => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

describe('nestsDeeperThan', () => {
  it.each([
    ['flat values', '1', 0, false],
    ['exactly the limit', nested(3), 3, false],
    ['one level more', nested(4), 3, true],
    ['objects and arrays alike', '{"a":[{"b":[1]}]}', 3, true],
    ['brackets inside strings', '["[[[[{{{{"]', 1, false],
    ['an escaped quote inside a string', '["\\"[[[["]', 1, false],
    ['an escaped backslash ending a string', '["\\\\",[[1]]]', 2, true],
    ['siblings do not add up', '[[1],[2],[3],[4]]', 2, false],
    ['escaped quotes and backslashes in a row', '["a\\\\\\"[[[", [[1]]]', 2, true],
    ['an unterminated string', '["[[[[', 1, false],
  ])('%s', (_case, json, maxDepth, expected) => {
    expect(nestsDeeperThan(Buffer.from(json), maxDepth)).toBe(expected);
  });

  it('scans a document 20,000 levels deep without recursing', () => {
    expect(nestsDeeperThan(Buffer.from(nested(20_000)), MAX_JSON_NESTING_DEPTH)).toBe(true);
  });
});

describe('checkedJsonParser', () => {
  const parser = checkedJsonParser((_request, text, done) => {
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(error as Error);
    }
  });

  function parse(body: Buffer | string, contentType = 'application/scim+json'): unknown {
    let result: { error: Error | null; value?: unknown } | undefined;
    parser({ headers: { 'content-type': contentType } } as FastifyRequest, Buffer.from(body), (error, value) => {
      result = { error, value };
    });
    if (result === undefined) {
      throw new Error('the parser did not answer');
    }
    if (result.error) {
      throw result.error;
    }
    return result.value;
  }

  function refusal(body: Buffer | string, contentType?: string): RequestProblem {
    try {
      parse(body, contentType);
    } catch (error) {
      expect(error).toBeInstanceOf(RequestProblem);
      return error as RequestProblem;
    }
    throw new Error('expected a refusal');
  }

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/scim+json; charset="utf-8"',
    'application/json; q=1; charset=Utf-8',
  ])('accepts UTF-8 declared as %j', (contentType) => {
    expect(parse('{"name":"Zoë 😀"}', contentType)).toEqual({ name: 'Zoë 😀' });
  });

  it.each([
    'application/json; charset=ISO-8859-1',
    'application/scim+json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=utf8',
    'application/json; charset=',
  ])('refuses another declared charset with 415: %j', (contentType) => {
    const error = refusal('{}', contentType);
    expect(error.getStatus()).toBe(415);
    expect(error.message).toContain('only UTF-8 is accepted');
  });

  it.each([
    ['a Latin-1 byte', Buffer.from('{"name":"Zo\xeb"}', 'latin1')],
    ['a truncated sequence', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
    ['an overlong encoding of "/"', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
    ['an encoded surrogate', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['a byte that never occurs in UTF-8', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff]), Buffer.from('"}')])],
  ])('refuses %s with 400 invalidSyntax', (_case, body) => {
    const error = refusal(body);
    expect(error.getStatus()).toBe(400);
    expect(error.kind).toBe('invalidSyntax');
    expect(error.message).toContain('not valid UTF-8');
  });

  it.each([
    ['a lone high surrogate', '{"name":"a\\ud800b"}'],
    ['a lone low surrogate', '{"name":"\\uDC00"}'],
    ['a reversed pair', '{"name":"\\udc00\\ud800"}'],
    ['one in a key', '{"\\ud83d":1}'],
    ['one deep inside', '{"a":[{"b":["x","\\uD83D"]}]}'],
  ])('refuses %s escaped in a string', (_case, body) => {
    const error = refusal(body);
    expect(error.kind).toBe('invalidSyntax');
    expect(error.message).toContain('surrogate');
  });

  it('accepts an escaped surrogate pair and an escaped backslash before "ud800"', () => {
    expect(parse('{"a":"\\ud83d\\ude00","b":"\\\\ud800"}')).toEqual({ a: '😀', b: '\\ud800' });
  });

  it(`accepts ${MAX_JSON_NESTING_DEPTH} levels and refuses one more with 400 invalidSyntax`, () => {
    expect(parse(nested(MAX_JSON_NESTING_DEPTH))).toBeDefined();
    const error = refusal(nested(MAX_JSON_NESTING_DEPTH + 1));
    expect(error.kind).toBe('invalidSyntax');
    expect(error.message).toContain(`more than ${MAX_JSON_NESTING_DEPTH} levels`);
  });

  it('reads an empty body as an empty object', () => {
    expect(parse('')).toEqual({});
  });
});
