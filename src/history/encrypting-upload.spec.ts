import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DataKey } from '../content-encryption/data-key';
import { FileDecryptor } from '../content-encryption/file-decryptor';
import { encryptedFileSize } from '../content-encryption/file-format';
import { BlobDigestMismatchError } from '../storage/blob-storage';
import { EncryptingUpload } from './encrypting-upload';

const key = new DataKey(randomUUID(), randomUUID(), createSecretKey(randomBytes(32)));
const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('EncryptingUpload', () => {
  it('emits only ciphertext of the exact encrypted size, which decrypts to the source, and counts and hashes the plaintext', async () => {
    const plaintext = Buffer.from('confidential '.repeat(20_000));
    const upload = EncryptingUpload.of(Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]), key, digest(plaintext));
    const encrypted = await buffer(upload);
    expect(encrypted.length).toBe(encryptedFileSize(plaintext.length));
    expect(encrypted.includes(Buffer.from('confidential'))).toBe(false);
    expect(upload.plaintextBytes).toBe(plaintext.length);
    expect(upload.sha256).toBe(digest(plaintext));
    expect((await buffer(Readable.from([encrypted]).pipe(new FileDecryptor(key)))).equals(plaintext)).toBe(true);
  });

  it("gives back its source's buffers once sealed when they are its own, and leaves them alone otherwise", async () => {
    const plaintext = randomBytes(4 * 1024 * 1024);
    const ownPieces = (): Buffer[] =>
      [0, 1, 2, 3].map((index) => Buffer.from(plaintext.subarray(index * 1024 * 1024, (index + 1) * 1024 * 1024)));

    const ours = ownPieces();
    const released = EncryptingUpload.of(Readable.from(ours), key, digest(plaintext), { sourceBuffersAreOurs: true });
    const encrypted = await buffer(released);
    expect(ours.every((piece) => piece.length === 0)).toBe(true);
    expect((await buffer(Readable.from([encrypted]).pipe(new FileDecryptor(key)))).equals(plaintext)).toBe(true);

    const theirs = ownPieces();
    await buffer(EncryptingUpload.of(Readable.from(theirs), key, digest(plaintext)));
    expect(Buffer.concat(theirs).equals(plaintext)).toBe(true);
  });

  it('fails at its end when the plaintext does not hash to the signed digest', async () => {
    const upload = EncryptingUpload.of(Readable.from([Buffer.from('what arrived')]), key, digest(Buffer.from('what was signed')));
    await expect(buffer(upload)).rejects.toBeInstanceOf(BlobDigestMismatchError);
  });

  it('fails when its source fails before its end, so a store never waits for the rest', async () => {
    const source = new Readable({ read() {} });
    const upload = EncryptingUpload.of(source, key, digest(Buffer.from('x')));
    source.push(Buffer.from('partial'));
    source.destroy(new Error('client gone'));
    await expect(buffer(upload)).rejects.toThrow('client gone');
  });
});
