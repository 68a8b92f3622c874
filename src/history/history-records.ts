/** History content as its readers get it: decrypted. */
export type MessageRecord = {
  readonly id: number;
  readonly organizationId: string;
  readonly userId: string;
  readonly subject: string;
  readonly createdAt: Date;
};

/** A message with its body, as its owner reads it. */
export type MessageWithBody = MessageRecord & { readonly body: string };

export type FileRecord = {
  readonly id: number;
  readonly organizationId: string;
  readonly userId: string;
  readonly name: string;
  /** Of the plaintext. */
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the plaintext. */
  readonly sha256: string;
  readonly storageKey: string;
  readonly createdAt: Date;
};

/** One line of a user's history listing: a message (no size) or a file. */
export type HistoryItem =
  | { readonly kind: 'message'; readonly id: number; readonly title: string; readonly createdAt: Date }
  | { readonly kind: 'file'; readonly id: number; readonly title: string; readonly sizeBytes: number; readonly createdAt: Date };
