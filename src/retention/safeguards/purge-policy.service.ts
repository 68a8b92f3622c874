import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { RequestContext } from '../../common/request-context';
import { Database } from '../../database/database';
import { PurgePolicy } from './purge-policy';
import { PurgePolicyRepository } from './purge-policy.repository';
import { Releaser } from './purge-release.service';

/** An organization's purge policy, read and replaced by its administrators (audited). */
@Injectable()
export class PurgePolicyService {
  constructor(
    private readonly database: Database,
    private readonly policies: PurgePolicyRepository,
    private readonly audit: AuditService,
  ) {}

  get(organizationId: string): Promise<PurgePolicy> {
    return this.policies.find(organizationId);
  }

  /** Applies to purges requested from now on; a purge already held or scheduled keeps its state. */
  async replace(admin: Releaser, policy: PurgePolicy, context: RequestContext): Promise<PurgePolicy> {
    await this.policies.ensureRow(admin.organizationId);
    await this.database.transaction(async () => {
      await this.policies.update(admin.organizationId, policy, admin.userId, new Date());
      const { graceSeconds, massDeactivation: breaker } = policy;
      await this.audit.record(
        {
          organizationId: admin.organizationId,
          type: 'purge_policy.updated',
          actorUserId: admin.userId,
          actorApiKeyId: admin.apiKeyId,
          targetType: 'organization',
          targetId: admin.organizationId,
          detail: `grace=${graceSeconds};breaker=${breaker.enabled ? `${breaker.threshold}/${breaker.windowSeconds}s` : 'off'}`,
        },
        context,
      );
    });
    return this.policies.find(admin.organizationId);
  }
}
