import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Logger, RequestTimeoutException } from '@nestjs/common';
import type { ConnectionError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpTimeoutSettings } from '../../config/settings';
import { sendError } from '../errors/all-exceptions.filter';
import { ErrorFormats, errorFormatsOf } from '../errors/error-formats';

/**
 * The Fastify server options that bound how long a client may hold a connection, so sockets
 * that trickle headers or go silent cannot pile up:
 * - headers: Node's `headersTimeout` (checked every `connectionsCheckingInterval`, 30 s unless set);
 * - idle: no byte in either direction while a request is open (the socket timeout), which is
 *   also all that bounds a streamed upload, so a slow but live link can send a large file;
 * - keep-alive: an idle connection between requests.
 * The body deadline needs the route, so it is a hook (registerBodyDeadline).
 */
export function connectionTimeoutOptions(timeouts: HttpTimeoutSettings) {
  return {
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(timeouts.headersMs / 4))),
      // Node's total deadline would cut uploads; Fastify turns it off after creating the server,
      // but Node refuses a headers timeout above its 5-minute default before that.
      requestTimeout: 0,
    },
    clientErrorHandler: clientErrorAnswerer(timeouts),
  };
}

/**
 * Errors Node raises before a request exists (slow or oversized headers, malformed HTTP) are
 * answered in the error format of the path (from the application's ErrorFormats on the Fastify
 * instance, which Fastify binds as `this`), when the request line arrived (Node hands over the
 * bytes it read with parse errors), else in the default shape.
 */
function clientErrorAnswerer(timeouts: HttpTimeoutSettings): (this: FastifyInstance, error: ClientError, socket: Socket) => void {
  return function (this: FastifyInstance, error, socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      return;
    }
    const [status, code, detail] = describeClientError(error, timeouts);
    const requestLine = /^[A-Za-z]+ (\S+)/.exec(receivedBytes(error));
    const format = errorFormatsOf(this).formatFor(requestLine?.[1] ?? '');
    const { contentType, headers, body } = format.render({ status, code, detail, exceptionHeaders: {} });
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    // Node's own rule: never write into a response that has already started on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n${extra}Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** What Node read before the error: a Buffer at runtime, though Fastify types it as its JSON form. */
function receivedBytes(error: ConnectionError): string {
  const raw: unknown = error.rawPacket;
  return Buffer.isBuffer(raw) ? raw.toString('latin1') : '';
}

/** Fastify's ConnectionError, plus the reason llhttp gives. */
type ClientError = ConnectionError & { reason?: string };

function describeClientError(error: ClientError, timeouts: HttpTimeoutSettings): [number, string, string] {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'request_timeout',
        `The request headers did not arrive within ${timeouts.headersMs} ms; send the whole request without pausing.`,
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'request_header_fields_too_large', `The request line and headers together may hold at most ${maxHeaderSize} bytes.`];
    case 'HPE_INVALID_URL':
      return [400, 'bad_request', 'The request URL holds a character that must be percent-encoded (RFC 3986).'];
    default:
      // llhttp's reasons are fixed texts ("Invalid header token"), never request data.
      return [400, 'bad_request', `The request is not valid HTTP/1.1${error.reason ? ` (${error.reason})` : ''}.`];
  }
}

const logger = new Logger('Errors');

/**
 * A body that Fastify reads itself (JSON) must arrive within `bodyTimeoutMs` of the headers, or
 * the request is answered 408 and the connection closed. Requests that stream their own body
 * (`readsOwnBody`: uploads) are bounded by the idle timeout instead. Any answer sent before the
 * body was fully received (a refusal, a 413, this 408) closes the connection: otherwise the
 * client could keep trickling the rest of the body into a kept-alive socket.
 */
export function registerBodyDeadline(
  fastify: FastifyInstance,
  bodyTimeoutMs: number,
  readsOwnBody: (request: FastifyRequest) => boolean,
  formats: ErrorFormats,
): void {
  const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  fastify.addHook('onRequest', (request, reply, done) => {
    if (hasBody(request) && !readsOwnBody(request)) {
      const timer = setTimeout(() => answerSlowBody(request, reply, bodyTimeoutMs, formats), bodyTimeoutMs);
      timer.unref();
      deadlines.set(request, timer);
    }
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!request.raw.complete) {
      reply.header('Connection', 'close');
      closeLingering(request.raw.socket);
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    clearTimeout(deadlines.get(request));
    done();
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function answerSlowBody(request: FastifyRequest, reply: FastifyReply, bodyTimeoutMs: number, formats: ErrorFormats): void {
  if (request.raw.complete || request.raw.destroyed || reply.sent) {
    return;
  }
  const error = new RequestTimeoutException(
    `The request body did not arrive within ${bodyTimeoutMs} ms of its headers; send it without pausing.`,
  );
  sendError(error, request, reply, formats, logger);
}

/** How long a closing connection keeps reading (and dropping) the rest of a request it answered early. */
const LINGER_MS = 2000;

/**
 * Node closes a `Connection: close` socket as soon as the answer is written. Request bytes still
 * unread then make the kernel reset the connection, and a reset can destroy the end of the answer
 * before the client has read it. So, like a web server's lingering close: send FIN, read and drop
 * what still arrives, and close when the client closes or LINGER_MS has passed, whichever is first.
 */
function closeLingering(socket: Socket | null): void {
  if (!socket || socket.destroyed) {
    return;
  }
  socket.destroySoon = function lingeringClose(this: Socket): void {
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    this.once('end', () => this.destroy());
    this.end();
    this.resume();
  };
}
