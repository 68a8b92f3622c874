// The baseline's unencrypted file path, the yardstick of the history scenario's throughput: an
// upload streams the body to a staging file while hashing SHA-256, checks it against the
// declared digest, then renames it into place; a download streams the file back with
// Content-Length. No database row, no encryption: what a plain Node server does at best.
import { Buffer } from 'node:buffer';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export const FILES_PATH = '/bench/files';
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createFileRoutes(directory, maxBytes) {
  const staging = join(directory, '.staging');
  mkdirSync(staging, { recursive: true });

  async function upload(req, res, name, sendJson) {
    const declared = String(req.headers['ss-content-sha256'] ?? '');
    if (!SHA256_HEX.test(declared)) {
      req.resume();
      return sendJson(400, { detail: 'Send the content SHA-256 (lowercase hex) in ss-content-sha256.' });
    }
    const staged = join(staging, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        req,
        async function* (chunks) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > maxBytes) {
              throw Object.assign(new Error('too large'), { status: 413 });
            }
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(staged, { mode: 0o600 }),
      );
      if (!timingSafeEqual(hash.digest(), Buffer.from(declared, 'hex'))) {
        throw Object.assign(new Error('digest mismatch'), { status: 422 });
      }
      await rename(staged, join(directory, name));
    } catch (error) {
      await unlink(staged).catch(() => undefined);
      if (error.status) {
        return sendJson(error.status, {
          detail: error.status === 413 ? 'The file is too large.' : 'The content does not hash to ss-content-sha256.',
        });
      }
      throw error;
    }
    return sendJson(201, { name, sizeBytes: size, sha256: declared });
  }

  async function download(res, name, sendJson) {
    const path = join(directory, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) {
      return sendJson(404, { detail: 'File not found.' });
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': info.size });
    // Large reads: fewer system calls and stream turns per MiB, the quickest plain Node can send a file.
    await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), res);
  }

  /** Handles /bench/files/<name> (POST to upload, GET to download); false for any other path. */
  return async function handleFiles(req, res, path, sendJson) {
    if (!path.startsWith(`${FILES_PATH}/`)) {
      return false;
    }
    const name = path.slice(FILES_PATH.length + 1);
    if (!NAME.test(name)) {
      req.resume();
      sendJson(400, { detail: 'File names are 1 to 64 letters, digits, - or _.' });
    } else if (req.method === 'POST') {
      await upload(req, res, name, sendJson);
    } else if (req.method === 'GET') {
      await download(res, name, sendJson);
    } else {
      req.resume();
      sendJson(405, { detail: 'Use POST or GET.' });
    }
    return true;
  };
}
