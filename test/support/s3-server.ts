import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** The credentials s3rver accepts; the service finds them through the SDK's default chain. */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3_TEST_REGION = 'us-east-1';

/**
 * A real S3 protocol server (s3rver, objects on disk) on a loopback port, that a test can stop and
 * start again on the same port (an outage), or make answer 503 SlowDown (throttling).
 *
 * s3rver 3.7.1 implements multipart uploads but not ListMultipartUploads nor AbortMultipartUpload;
 * those two are answered here, from and on s3rver's own on-disk record of in-progress uploads.
 */
export class S3TestServer {
  /** While set, every request is answered 503 SlowDown, as S3 throttles. */
  throttling = false;
  /**
   * Object keys whose deletion the store refuses (as S3 does for a key a policy protects): a
   * DeleteObjects naming one answers an AccessDenied error for it and deletes the others.
   */
  readonly undeletable = new Set<string>();
  /** Every request answered, method and URL (path and query), in the order of the answers. */
  readonly requests: { method: string; url: string }[] = [];
  private readonly s3rver: S3rver;
  private server: Server | null = null;
  private port = 0;

  constructor(
    private readonly directory: string,
    readonly bucket: string,
  ) {
    this.s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) {
      await this.s3rver.configureBuckets();
    }
    const koa = this.s3rver.callback();
    const server = createServer((request, response) => {
      this.handle(request, response, koa).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    // Longer than the SDK keeps an idle socket: otherwise the server may close one just as the
    // client reuses it (ECONNRESET), which tells nothing about the service.
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops answering, dropping open connections: the store is unreachable until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The object keys under prefix, as a client of the store sees them. */
  async keysUnder(prefix: string): Promise<string[]> {
    const client = testS3Client(this.endpoint);
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    } finally {
      client.destroy();
    }
  }

  /** Multipart uploads begun and neither completed nor aborted. */
  async inProgressUploads(): Promise<{ uploadId: string; key: string; initiated: Date }[]> {
    const directory = this.uploadsDirectory();
    const ids = await readdir(directory).catch(() => [] as string[]);
    const uploads = [];
    for (const uploadId of ids) {
      const keyFile = join(directory, uploadId, 'key');
      const [key, { mtime }] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
      uploads.push({ uploadId, key, initiated: mtime });
    }
    return uploads;
  }

  private async handle(request: IncomingMessage, response: ServerResponse, koa: ReturnType<S3rver['callback']>): Promise<void> {
    if (this.throttling) {
      request.resume();
      return reply(response, 503, errorXml('SlowDown', 'Please reduce your request rate.'));
    }
    response.once('finish', () => this.requests.push({ method: request.method ?? '', url: request.url ?? '' }));
    const url = new URL(request.url ?? '/', 'http://s3.local');
    const [, bucket, ...keyParts] = url.pathname.split('/').filter((part, index) => index === 0 || part !== '');
    if (
      bucket === this.bucket &&
      request.method === 'POST' &&
      keyParts.length === 0 &&
      url.searchParams.has('delete') &&
      this.undeletable.size > 0
    ) {
      return reply(response, 200, await this.deleteRefusingSome(await readBody(request)));
    }
    if (bucket === this.bucket && request.method === 'GET' && keyParts.length === 0 && url.searchParams.has('uploads')) {
      return reply(response, 200, await this.listUploads(url.searchParams.get('prefix') ?? ''));
    }
    if (bucket === this.bucket && request.method === 'DELETE' && url.searchParams.has('uploadId')) {
      return this.abortUpload(url.searchParams.get('uploadId')!, response);
    }
    koa(request, response);
  }

  /** DeleteObjects, per key: s3rver's own store deletes the keys that are not refused. */
  private async deleteRefusingSome(body: string): Promise<string> {
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => unescapeXml(match[1]));
    const results: string[] = [];
    for (const key of keys) {
      if (this.undeletable.has(key)) {
        results.push(`<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`);
        continue;
      }
      if (await this.store().existsObject(this.bucket, key)) {
        await this.store().deleteObject(this.bucket, key);
      }
      results.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`);
    }
    return `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`;
  }

  private async listUploads(prefix: string): Promise<string> {
    const uploads = (await this.inProgressUploads()).filter((upload) => upload.key.startsWith(prefix));
    const entries = uploads
      .map(
        (upload) =>
          `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiated.toISOString()}</Initiated></Upload>`,
      )
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${this.bucket}</Bucket><IsTruncated>false</IsTruncated>${entries}</ListMultipartUploadsResult>`;
  }

  private async abortUpload(uploadId: string, response: ServerResponse): Promise<void> {
    if (!/^[0-9a-f]{32}$/.test(uploadId) || !(await stat(join(this.uploadsDirectory(), uploadId)).catch(() => null))) {
      return reply(response, 404, errorXml('NoSuchUpload', 'The specified upload does not exist.'));
    }
    await rm(join(this.uploadsDirectory(), uploadId), { recursive: true, force: true });
    response.statusCode = 204;
    response.end();
  }

  /** s3rver's on-disk store (untyped in its declarations). */
  private store(): {
    existsObject(bucket: string, key: string): Promise<boolean>;
    deleteObject(bucket: string, key: string): Promise<void>;
  } {
    return (this.s3rver as unknown as { store: ReturnType<S3TestServer['store']> }).store;
  }

  private uploadsDirectory(): string {
    return join(this.directory, this.bucket, '._S3rver_uploads');
  }
}

export function testS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: S3_TEST_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3_TEST_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function reply(response: ServerResponse, status: number, xml: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/xml');
  response.end(xml);
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
