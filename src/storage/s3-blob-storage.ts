import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3StorageSettings } from '../config/settings';
import {
  BlobExpectations,
  BlobNotFoundError,
  BlobStorage,
  BlobStoreUnavailableError,
  ListedBlob,
  StoredBlob,
  UndeletedBlobs,
} from './blob-storage';
import { ContentMeter, feedMeter } from './content-meter';
import { s3ClientConfig } from './s3-client-config';
import { assertValidStorageKey, isStorageKey } from './storage-key';

/** The smallest part S3 accepts (except the last). */
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's most parts in one multipart upload. */
const MAX_PARTS = 10_000;
/** Parts of one upload in flight at once: with the part being read, what one upload holds in memory. */
const PART_QUEUE = 2;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;
/** Keys per listing page: what the orphan sweep checks against the database in one go. */
const LIST_PAGE = 500;

/** Blobs as objects in one bucket: `<prefix><key>`. */
export class S3BlobStorage extends BlobStorage {
  /** A client for the configured store and bucket. */
  static connect(settings: S3StorageSettings): S3BlobStorage {
    return new S3BlobStorage(new S3Client(s3ClientConfig(settings)), settings.bucket, settings.prefix);
  }

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    super();
  }

  async put(key: string, source: Readable, expected: BlobExpectations): Promise<StoredBlob> {
    const meter = new ContentMeter(expected);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: meter, ContentType: 'application/octet-stream' },
      // Parts large enough that the largest allowed upload fits in S3's part count.
      partSize: Math.max(MIN_PART_BYTES, Math.ceil(expected.maxBytes / MAX_PARTS)),
      queueSize: PART_QUEUE,
      // A refused or failed upload is aborted, so its parts never become an object; a crash
      // before the abort leaves them to sweepAbandoned and the bucket's lifecycle rule.
      leavePartsOnError: false,
    });
    const release = feedMeter(source, meter);
    try {
      await upload.done();
      release('stored');
    } catch (error) {
      release('failed');
      throw meter.refusal ?? new BlobStoreUnavailableError(error);
    }
    return { sizeBytes: meter.sizeBytes, sha256: meter.sha256 };
  }

  async delete(key: string): Promise<boolean> {
    // S3 answers a delete of a missing key as a success and cannot tell the two apart.
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
    return true;
  }

  async deleteMany(keys: readonly string[]): Promise<UndeletedBlobs> {
    const undeleted = new Map<string, string>();
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      for (const [key, reason] of await this.deleteBatch(batch)) {
        undeleted.set(key, reason);
      }
    }
    return undeleted;
  }

  async read(key: string): Promise<Buffer> {
    const object = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  async openRead(key: string): Promise<Readable> {
    const object = await this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
      .catch((error: unknown) => {
        throw isNoSuchKey(error) ? new BlobNotFoundError() : new BlobStoreUnavailableError(error);
      });
    // In Node the SDK's Body is an http.IncomingMessage: a Readable streamed from the socket.
    return object.Body as Readable;
  }

  async sweepAbandoned(olderThan: Date): Promise<number> {
    let dropped = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        ),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key && upload.UploadId && upload.Initiated && upload.Initiated < olderThan) {
          if (await this.abort(upload.Key, upload.UploadId)) {
            dropped += 1;
          }
        }
      }
      [keyMarker, uploadIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
    } while (keyMarker !== undefined);
    return dropped;
  }

  async *list(): AsyncIterable<ListedBlob[]> {
    let continuationToken: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            ContinuationToken: continuationToken,
            MaxKeys: LIST_PAGE,
          }),
        ),
      );
      const blobs: ListedBlob[] = [];
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (key && object.Key?.startsWith(this.prefix) && isStorageKey(key) && object.LastModified) {
          blobs.push({ key, modifiedAt: object.LastModified });
        }
      }
      if (blobs.length > 0) {
        yield blobs;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  /** Object stores have no folders: a prefix with no objects left is gone already. */
  removeEmptyFolder(): Promise<void> {
    return Promise.resolve();
  }

  async checkReachable(): Promise<void> {
    await this.call(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  /** Only keys the store names as deleted count; any other answer (or none) leaves the key undeleted. */
  private async deleteBatch(keys: string[]): Promise<Map<string, string>> {
    const byObjectKey = new Map(keys.map((key) => [this.objectKey(key), key]));
    const undeleted = new Map(keys.map((key) => [key, 'the store did not confirm the deletion']));
    try {
      const result = await this.call(() =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: [...byObjectKey.keys()].map((Key) => ({ Key })), Quiet: false },
          }),
        ),
      );
      for (const deleted of result.Deleted ?? []) {
        const key = deleted.Key === undefined ? undefined : byObjectKey.get(deleted.Key);
        if (key !== undefined) {
          undeleted.delete(key);
        }
      }
      for (const failure of result.Errors ?? []) {
        const key = failure.Key === undefined ? undefined : byObjectKey.get(failure.Key);
        if (key !== undefined) {
          undeleted.set(key, `${failure.Code ?? 'Error'}: ${failure.Message ?? 'the store refused the deletion'}`);
        }
      }
    } catch (error) {
      const reason = error instanceof BlobStoreUnavailableError ? error.message : String(error);
      for (const key of keys) {
        undeleted.set(key, reason);
      }
    }
    return undeleted;
  }

  /** False when the upload was gone already (completed, or aborted by another process's sweep). */
  private async abort(objectKey: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }));
      return true;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NoSuchUpload') {
        return false;
      }
      throw new BlobStoreUnavailableError(error);
    }
  }

  private objectKey(key: string): string {
    assertValidStorageKey(key);
    return `${this.prefix}${key}`;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new BlobStoreUnavailableError(error);
    }
  }
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}
