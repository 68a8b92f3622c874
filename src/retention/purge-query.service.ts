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
    const merged = await this.purges.mergedIntoEach(purges.map((purge) => purge.id));
    return { items: purges.map((purge) => toPurgeResponse(purge, merged.get(purge.id) ?? [])), total, limit, offset };
  }

  async get(organizationId: string, purgeId: string): Promise<PurgeResponseDto> {
    const purge = await this.purges.findInOrganization(organizationId, purgeId);
    if (!purge) {
      throw notFound('Purge');
    }
    return toPurgeResponse(purge, await this.purges.mergedInto(purge.id));
  }

  /** How many of the organization's purges the mass-deactivation breaker holds now. */
  heldByBreaker(organizationId: string): Promise<number> {
    return this.purges.countHeld(organizationId, 'mass_deactivation');
  }

  /** The latest purge of a user (for admin user views), or null if they were never purged. */
  async latestForUser(organizationId: string, userId: string): Promise<PurgeResponseDto | null> {
    const purge = await this.purges.latestForUser(organizationId, userId);
    return purge ? toPurgeResponse(purge, await this.purges.mergedInto(purge.id)) : null;
  }

  /**
   * What a purge deleted, in the receipt digest's canonical order, so an auditor can recompute it:
   * with what the purges merged into it had deleted, as its receipt counts them.
   */
  async items(organizationId: string, purgeId: string, offset: number, limit: number): Promise<Page<PurgedItemResponseDto>> {
    if (!(await this.purges.findInOrganization(organizationId, purgeId))) {
      throw notFound('Purge');
    }
    const { items, total } = await this.ledger.page([purgeId, ...(await this.purges.mergedInto(purgeId))], offset, limit);
    return { items: items.map(toPurgedItemResponse), total, limit, offset };
  }
}
