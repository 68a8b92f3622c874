/** Another worker took the purge over (this one stalled past its lease); stop without touching it. */
export class LeaseLostError extends Error {
  constructor(purgeId: string) {
    super(`lost the lease of purge ${purgeId}`);
    this.name = 'LeaseLostError';
  }
}

/** Some stored bytes could not be deleted; everything else was, and the purge fails visibly. */
export class UndeletedFilesError extends Error {
  constructor(
    readonly fileIds: number[],
    firstReason: string,
  ) {
    super(`${fileIds.length} file(s) could not be deleted from storage (first: file ${fileIds[0]}: ${firstReason})`);
    this.name = 'UndeletedFilesError';
  }
}
