import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { attachErrorFormats, DEFAULT_ERROR_FORMAT, ErrorFormat, ErrorFormats, errorFormatsOf, Problem } from './error-formats';

const problem: Problem = { status: 404, code: 'not_found', detail: 'User not found.', requestId: 'req-1', exceptionHeaders: {} };

function format(name: string, prefix: string): ErrorFormat {
  return {
    name,
    matches: (path) => path.startsWith(prefix),
    render: ({ status }) => ({ contentType: 'text/plain', headers: {}, body: `${name} ${status}` }),
  };
}

describe('ErrorFormats', () => {
  it('answers every path in the default (admin) shape until a format is registered', () => {
    const formats = new ErrorFormats();
    expect(formats.formatFor('/scim/v2/Users')).toBe(DEFAULT_ERROR_FORMAT);
    expect(formats.formatFor('')).toBe(DEFAULT_ERROR_FORMAT);
  });

  it('picks the first registered format that claims the path, and the default elsewhere', () => {
    const formats = new ErrorFormats();
    const wide = format('wide', '/a');
    const narrow = format('narrow', '/a/b');
    formats.register(wide);
    formats.register(narrow);
    expect(formats.formatFor('/a/b/c')).toBe(wide);
    expect(formats.formatFor('/b')).toBe(DEFAULT_ERROR_FORMAT);
  });

  it('refuses a second format under a name already registered', () => {
    const formats = new ErrorFormats();
    formats.register(format('scim', '/scim'));
    expect(() => formats.register(format('scim', '/other'))).toThrow(/"scim" is registered twice/);
  });

  it('renders the default shape as JSON with the request id and the headers the exception asked for', () => {
    const rendered = DEFAULT_ERROR_FORMAT.render({
      ...problem,
      kind: 'invalidValue',
      exceptionHeaders: { 'WWW-Authenticate': 'Signature' },
    });
    expect(rendered.contentType).toBe('application/json; charset=utf-8');
    expect(rendered.headers).toEqual({ 'WWW-Authenticate': 'Signature' });
    // The kind is for formats that show one; the admin shape never did.
    expect(JSON.parse(rendered.body)).toEqual({ statusCode: 404, error: 'not_found', message: 'User not found.', requestId: 'req-1' });
    expect(JSON.parse(DEFAULT_ERROR_FORMAT.render({ ...problem, requestId: undefined }).body)).not.toHaveProperty('requestId');
  });

  it('is found on a Fastify instance and its child contexts once attached, and defaults before', async () => {
    const fastify = Fastify();
    expect(errorFormatsOf(fastify).formatFor('/scim')).toBe(DEFAULT_ERROR_FORMAT);
    const formats = new ErrorFormats();
    formats.register(format('scim', '/scim'));
    attachErrorFormats(fastify, formats);
    let child: unknown;
    await fastify.register((instance, _options, done) => {
      child = instance;
      done();
    });
    await fastify.ready();
    expect(errorFormatsOf(fastify)).toBe(formats);
    expect(errorFormatsOf(child as typeof fastify)).toBe(formats);
    expect(errorFormatsOf(undefined).formatFor('/scim')).toBe(DEFAULT_ERROR_FORMAT);
    await fastify.close();
  });
});
