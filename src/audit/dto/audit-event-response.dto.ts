import type { AuditRecord } from '../audit.repository';

export type AuditEventResponseDto = {
  id: string;
  occurredAt: string;
  type: string;
  actor: { userId: string | null; apiKeyId: string | null };
  target: { type: string | null; id: string | null };
  sourceAddress: string | null;
  requestId: string | null;
  detail: string | null;
};

export function toAuditEventResponse(event: AuditRecord): AuditEventResponseDto {
  return {
    id: String(event.id),
    occurredAt: event.occurredAt.toISOString(),
    type: event.type,
    actor: { userId: event.actorUserId, apiKeyId: event.actorApiKeyId },
    target: { type: event.targetType, id: event.targetId },
    sourceAddress: event.sourceAddress,
    requestId: event.requestId,
    detail: event.detail,
  };
}
