// A client in its own process that sends many requests at once, as a flooding SCIM client would:
// each on its own connection, all written before any answer arrives. In the test's own process the
// requests would wait for the server's synchronous SQLite work and arrive one by one.
//   FLOOD_URL, FLOOD_AUTHORIZATION, FLOOD_COUNT → prints [{ status, retryAfter }, …] as JSON.
import { request } from 'node:http';

const url = process.env.FLOOD_URL;
const authorization = process.env.FLOOD_AUTHORIZATION;
const count = Number(process.env.FLOOD_COUNT);

function send() {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { authorization, accept: 'application/scim+json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] ?? null }));
    });
    req.on('error', reject);
    req.end();
  });
}

const results = await Promise.all(Array.from({ length: count }, send));
process.stdout.write(JSON.stringify(results));
