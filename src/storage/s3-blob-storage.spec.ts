import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3BlobStorage } from './s3-blob-storage';

describe('S3BlobStorage.list', () => {
  it('follows continuation tokens to the last page, under its prefix only, leaving out keys that are not storage keys', async () => {
    const requests: { Prefix?: string; ContinuationToken?: string; MaxKeys?: number }[] = [];
    const pages = [
      {
        Contents: [
          { Key: 'p/org/user/a', LastModified: new Date('2030-01-01T00:00:00Z') },
          { Key: 'p/org/user/../x', LastModified: new Date() },
        ],
        IsTruncated: true,
        NextContinuationToken: 't1',
      },
      { Contents: [{ Key: 'p/org/user/b', LastModified: new Date('2030-01-02T00:00:00Z') }], IsTruncated: false },
    ];
    const client = {
      send: (command: ListObjectsV2Command) => {
        requests.push(command.input);
        return Promise.resolve(pages.shift());
      },
    } as unknown as S3Client;
    const listed = [];
    for await (const page of new S3BlobStorage(client, 'bucket', 'p/').list()) {
      listed.push(...page);
    }
    expect(listed).toEqual([
      { key: 'org/user/a', modifiedAt: new Date('2030-01-01T00:00:00Z') },
      { key: 'org/user/b', modifiedAt: new Date('2030-01-02T00:00:00Z') },
    ]);
    expect(requests.map((request) => [request.Prefix, request.ContinuationToken])).toEqual([
      ['p/', undefined],
      ['p/', 't1'],
    ]);
    expect(requests[0].MaxKeys).toBeGreaterThan(0);
  });
});
