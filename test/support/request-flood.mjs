// A client in its own process that floods a URL as a misbehaving SCIM client would: it opens every
// connection first, then writes every request at once, so they reach the server together (in the
// test's own process, or sent as each connection opens, they could arrive one by one).
//   FLOOD_URL, FLOOD_AUTHORIZATION, FLOOD_COUNT → prints [{ status, retryAfter }, …] as JSON.
import { connect } from 'node:net';
import { URL } from 'node:url';

const url = new URL(process.env.FLOOD_URL);
const authorization = process.env.FLOOD_AUTHORIZATION;
const count = Number(process.env.FLOOD_COUNT);

function open() {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one request on the socket and resolves with the status line and Retry-After of the answer. */
function exchange(socket) {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.once('error', reject);
    socket.once('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      const retryAfter = /\r\nretry-after: *(\S+)/i.exec(received)?.[1] ?? null;
      resolve({ status, retryAfter });
    });
    socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${authorization}\r\nAccept: application/scim+json\r\nConnection: close\r\n\r\n`,
    );
  });
}

const sockets = await Promise.all(Array.from({ length: count }, open));
const results = await Promise.all(sockets.map(exchange));
process.stdout.write(JSON.stringify(results));
