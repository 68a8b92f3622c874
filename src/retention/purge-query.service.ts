import { Injectable } from '@nestjs/common';
import { notFound } from '../common/domain-error';
import { Page } from '../common/paging.dto';
import { PurgedItemResponseDto, PurgeResponseDto, toPurgedItemResponse, toPurgeResponse } from './dto/purge.dto';
import { PurgeFilter, PurgeRepository } from './purge.repository';
import { PurgedItemRepository } from './purged-item.repository';

/** Read side of retention: what administrators (and the users domain) see of purges. */
@Injectable()
export class PurgeQueryService {
  constructor(
    private readonly purges: PurgeRepository,
    private readonly ledger: PurgedItemRepository,
  ) {}

  async page(organizationId: string, filter: PurgeFilter, offset: number, limit: number): Promise<Page<PurgeResponseDto>> {
    const { purges, total } = await this.purges.page(organizationId, filter, offset, limit);
    return { items: purges.map(toPurgeResponse), total, limit, offset };
  }

  async get(organizationId: string, purgeId: string): Promise<PurgeResponseDto> {
    const purge = await this.purges.findInOrganization(organizationId, purgeId);
    if (!purge) {
      throw notFound('Purge');
    }
    return toPurgeResponse(purge);
  }

  /** The latest purge of a user (for admin user views), or null if they were never purged. */
  async latestForUser(organizationId: string, userId: string): Promise<PurgeResponseDto | null> {
    const purge = await this.purges.latestForUser(organizationId, userId);
    return purge ? toPurgeResponse(purge) : null;
  }

  /** What a purge deleted, in the receipt digest's canonical order, so an auditor can recompute it. */
  async items(organizationId: string, purgeId: string, offset: number, limit: number): Promise<Page<PurgedItemResponseDto>> {
    if (!(await this.purges.findInOrganization(organizationId, purgeId))) {
      throw notFound('Purge');
    }
    const { items, total } = await this.ledger.page(purgeId, offset, limit);
    return { items: items.map(toPurgedItemResponse), total, limit, offset };
  }
}
