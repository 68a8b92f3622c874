import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/paging.dto';
import { mustBe } from '../../common/validation/validation-messages';
import { RECEIPT_DIGEST_METHOD } from '../purge-receipt';
import { HoldReason, PURGE_STATES, PurgeState } from '../purge.entity';
import { PurgeRecord } from '../purge.repository';
import { PurgedItemKind } from '../purged-item.entity';
import { PurgedItemRecord } from '../purged-item.repository';

export class PurgeListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PURGE_STATES })
  @IsOptional()
  @IsIn(PURGE_STATES, { message: `state must be one of ${PURGE_STATES.join(', ')}.` })
  state?: PurgeState;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString(mustBe('a user id'))
  @MaxLength(36, { message: 'userId must be a user id (at most 36 characters).' })
  userId?: string;
}

/**
 * What became of the user's data keys (crypto-shredding): `destroyedAt` is when the last of them was
 * destroyed, null while the purge has still to destroy `pending` ones as its first step. `destroyed`
 * also lists the keys of purges merged into this one.
 */
export type PurgeDataKeysDto = {
  destroyedAt: string | null;
  destroyed: { id: string; destroyedAt: string }[];
  pending: string[];
};

/** The deletion receipt, present once a purge has completed. */
export type PurgeReceiptDto = {
  userId: string;
  userName: string;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string;
  filesDeleted: number;
  messagesDeleted: number;
  bytesDeleted: number;
  digest: string;
  digestMethod: string;
  /** Earlier purges of the user whose scope this one took over: their deletions are in these counts and the digest. */
  mergedPurges: string[];
  /** When the user's data keys were destroyed, and their ids. */
  dataKeysDestroyedAt: string | null;
  dataKeysDestroyed: { id: string; destroyedAt: string }[];
};

export type PurgeResponseDto = {
  id: string;
  userId: string;
  userName: string;
  state: PurgeState;
  /** Items deleted so far out of the items the user had when the purge was requested. */
  progress: { done: number; total: number };
  files: { total: number; deleted: number };
  messages: { total: number; deleted: number };
  bytesDeleted: number;
  attempts: number;
  lastError: string | null;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  nextAttemptAt: string | null;
  /** Set when the state is `merged`: the later purge of the user that took this one over. */
  mergedInto: string | null;
  /** Earlier purges of the user this one took over; their deletions count in this one's figures and items. */
  mergedPurges: string[];
  dataKeys: PurgeDataKeysDto;
  /**
   * Why the purge is (or was) held: `mass_deactivation` (the breaker; an administrator releases it)
   * or `legal_hold` (lifting the hold releases it); null when it never was.
   */
  holdReason: HoldReason | null;
  /** When a scheduled purge becomes pending (its grace period ends). */
  runAfter: string | null;
  /** When and by whom (an administrator's user id; null when lifting a legal hold did it) the held purge was released. */
  released: { at: string; by: string | null } | null;
  /** Set when the state is `cancelled`: the user was reactivated while the purge waited; nothing was deleted and the data keys were kept. */
  cancellation: { at: string; reason: 'user_reactivated'; detail: string } | null;
  receipt: PurgeReceiptDto | null;
};

export type PurgedItemResponseDto = { kind: PurgedItemKind; id: number; sizeBytes: number };

export function toPurgeResponse(purge: PurgeRecord, mergedPurges: string[]): PurgeResponseDto {
  return {
    id: purge.id,
    userId: purge.userId,
    userName: purge.userName,
    state: purge.state,
    progress: { done: purge.filesDeleted + purge.messagesDeleted, total: purge.filesTotal + purge.messagesTotal },
    files: { total: purge.filesTotal, deleted: purge.filesDeleted },
    messages: { total: purge.messagesTotal, deleted: purge.messagesDeleted },
    bytesDeleted: Number(purge.bytesDeleted),
    attempts: purge.attempts,
    lastError: purge.lastError,
    requestedAt: purge.requestedAt.toISOString(),
    startedAt: iso(purge.startedAt),
    completedAt: iso(purge.completedAt),
    nextAttemptAt: iso(purge.nextAttemptAt),
    mergedInto: purge.mergedIntoId,
    mergedPurges,
    dataKeys: {
      destroyedAt: iso(purge.dataKeysDestroyedAt),
      destroyed: destroyedKeys(purge),
      pending: purge.dataKeyIdsToDestroy ?? [],
    },
    holdReason: purge.holdReason,
    runAfter: iso(purge.runAfter),
    released: purge.releasedAt === null ? null : { at: purge.releasedAt.toISOString(), by: purge.releasedBy },
    cancellation:
      purge.state === 'cancelled' && purge.cancelledAt !== null
        ? {
            at: purge.cancelledAt.toISOString(),
            reason: 'user_reactivated',
            detail:
              'The user was reactivated while this purge waited (held or in its grace period): nothing was deleted, and the ' +
              "user's data keys were kept, so every file and message stays readable.",
          }
        : null,
    receipt: toReceipt(purge, mergedPurges),
  };
}

export function toPurgedItemResponse(item: PurgedItemRecord): PurgedItemResponseDto {
  return { kind: item.kind, id: item.itemId, sizeBytes: Number(item.sizeBytes) };
}

function toReceipt(purge: PurgeRecord, mergedPurges: string[]): PurgeReceiptDto | null {
  if (purge.state !== 'completed' || purge.completedAt === null || purge.receiptDigest === null) {
    return null;
  }
  return {
    userId: purge.userId,
    userName: purge.userName,
    requestedAt: purge.requestedAt.toISOString(),
    startedAt: iso(purge.startedAt),
    completedAt: purge.completedAt.toISOString(),
    filesDeleted: purge.filesDeleted,
    messagesDeleted: purge.messagesDeleted,
    bytesDeleted: Number(purge.bytesDeleted),
    digest: purge.receiptDigest,
    digestMethod: RECEIPT_DIGEST_METHOD,
    mergedPurges,
    dataKeysDestroyedAt: iso(purge.dataKeysDestroyedAt),
    dataKeysDestroyed: destroyedKeys(purge),
  };
}

function destroyedKeys(purge: PurgeRecord): { id: string; destroyedAt: string }[] {
  return purge.dataKeysDestroyed.map((key) => ({ id: key.id, destroyedAt: key.destroyedAt.toISOString() }));
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}
