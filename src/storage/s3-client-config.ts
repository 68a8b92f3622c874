import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { S3StorageSettings } from '../config/settings';

/** A store that does not answer must not hold an upload or a purge forever. */
const CONNECTION_TIMEOUT_MS = 5_000;
const SOCKET_IDLE_TIMEOUT_MS = 60_000;
/** The SDK retries throttling (SlowDown, 503) and network errors with backoff, this many tries in all. */
const MAX_ATTEMPTS = 3;

/** Credentials come from the SDK's default chain: environment, profile, web identity, instance role. */
export function s3ClientConfig(settings: S3StorageSettings): S3ClientConfig {
  return {
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: SOCKET_IDLE_TIMEOUT_MS },
    // Content integrity is checked against the client's signed SHA-256 while the bytes stream; the
    // SDK's own trailing checksums are refused by several S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
