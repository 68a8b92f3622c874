/**
 * A dependency only some deployments use (the S3 SDK, the SAML stack, the Redis client), imported
 * where it is first needed so the others never load it. One import per process; a failed one is
 * not remembered, so the next use tries again.
 */
export function loadOnDemand<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw new DependencyLoadError(what, error);
    });
    return loading;
  };
}

/** Says which dependency could not be loaded and why, instead of a bare module-resolution error. */
export class DependencyLoadError extends Error {
  override readonly name = 'DependencyLoadError';

  constructor(what: string, cause: unknown) {
    super(`${what} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
