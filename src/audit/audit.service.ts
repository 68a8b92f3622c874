import { Injectable, Logger } from '@nestjs/common';
import { RequestContext } from '../common/request-context';
import type { AuditEventType } from './audit-event.entity';
import { AuditRecord, AuditRepository } from './audit.repository';

export type AuditEntry = {
  organizationId: string | null;
  type: AuditEventType;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  detail?: string | null;
};

export type AuditPage = { items: AuditRecord[]; total: number };

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly events: AuditRepository) {}

  /** Inside the caller's transaction when there is one, so the event commits or rolls back with the change. */
  async record(entry: AuditEntry, context: RequestContext): Promise<void> {
    await this.events.insert({
      organizationId: entry.organizationId,
      type: entry.type,
      actorUserId: entry.actorUserId ?? null,
      actorApiKeyId: entry.actorApiKeyId ?? null,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId?.slice(0, 255) ?? null,
      sourceAddress: context.sourceAddress?.slice(0, 64) ?? null,
      requestId: context.requestId?.slice(0, 128) ?? null,
      detail: entry.detail ?? null,
    });
    this.logger.log({ audit: entry.type, organizationId: entry.organizationId, target: entry.targetId, detail: entry.detail });
  }

  list(organizationId: string, limit: number, offset: number): Promise<AuditPage> {
    return this.events.page(organizationId, limit, offset);
  }
}
