import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { serializedTransaction } from '../database/serialized-transaction';
import { AuditEvent, AuditEventType } from './audit-event.entity';

export type AuditEntry = {
  organizationId: string | null;
  type: AuditEventType;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  detail?: string | null;
};

export type AuditPage = { items: AuditEvent[]; total: number };

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
  ) {}

  /** Inside `manager`'s transaction when given, so the event commits or rolls back with the change. */
  async record(entry: AuditEntry, context: RequestContext, manager?: EntityManager): Promise<void> {
    if (!manager) {
      return serializedTransaction(this.dataSource, (own) => this.record(entry, context, own));
    }
    await manager.getRepository(AuditEvent).insert({
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

  async list(organizationId: string, limit: number, offset: number): Promise<AuditPage> {
    const [items, total] = await this.events.findAndCount({
      where: { organizationId },
      order: { id: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }
}
