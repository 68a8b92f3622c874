// A small loopback HTTP client (node:http, keep-alive) for everything that is not load:
// health polling, bootstrapping credentials, sample requests, admin calls.
import { Buffer } from 'node:buffer';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Resolves { status, headers, text, json } (json is null unless the body parses). Rejects on network
 * errors, except that a request on a kept-alive socket the server had just closed is sent once more
 * on a new connection (the race Node's documentation describes for `request.reusedSocket`).
 */
export async function httpRequest(url, options = {}) {
  try {
    return await send(url, options);
  } catch (error) {
    if (error.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(error.code)) {
      return send(url, { ...options, keepAlive: false });
    }
    throw error;
  }
}

function send(url, { method = 'GET', headers = {}, body, timeoutMs = 30_000, keepAlive = true } = {}) {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent: keepAlive ? agent : false,
        headers: { ...(payload ? { 'content-length': payload.length } : {}), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', (error) => {
      error.reusedSocket = req.reusedSocket;
      reject(error);
    });
    req.end(payload);
  });
}

export function basicAuthorization(username, password) {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

const sha256Hex = (body) => createHash('sha256').update(body).digest('hex');

/**
 * The admin API's signing scheme (v2): lowercase hex HMAC-SHA256, keyed with the secret, of
 * key, METHOD, pathWithQuery, timestamp, nonce and the body's SHA-256, one per line; a fresh nonce
 * every request.
 */
export function adminHeaders(apiKey, method, pathWithQuery, bodySha256) {
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const nonce = randomBytes(18).toString('base64url');
  const signed = [apiKey.key, method.toUpperCase(), pathWithQuery, timestamp, nonce, bodySha256].join('\n');
  const signature = createHmac('sha256', Buffer.from(apiKey.secret, 'utf8')).update(signed, 'utf8').digest('hex');
  return {
    'ss-api-key': apiKey.key,
    'ss-request-timestamp': timestamp,
    'ss-request-nonce': nonce,
    'ss-request-signature': signature,
    accept: 'application/json',
  };
}

/** A signed admin API request with a JSON body (or none). */
export function adminRequest(baseUrl, apiKey, method, pathWithQuery, body) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers = adminHeaders(apiKey, method, pathWithQuery, sha256Hex(raw));
  if (raw) {
    headers['content-type'] = 'application/json';
  }
  return httpRequest(`${baseUrl}${pathWithQuery}`, { method, headers, body: raw || undefined });
}

/** A signed raw upload: the signature covers the content's SHA-256, sent as ss-content-sha256. */
export function adminUpload(baseUrl, apiKey, pathWithQuery, content) {
  const digest = sha256Hex(content);
  const headers = {
    ...adminHeaders(apiKey, 'POST', pathWithQuery, digest),
    'content-type': 'application/octet-stream',
    'ss-content-sha256': digest,
  };
  return httpRequest(`${baseUrl}${pathWithQuery}`, { method: 'POST', headers, body: content });
}

/** True when Nest answered "no such route" rather than a route's own 404. */
export function isMissingRoute(response) {
  return response.status === 404 && /Cannot (GET|POST|PUT|PATCH|DELETE) /.test(response.text);
}
