import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { notFound } from '../common/domain-error';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { SessionsService } from '../sessions/sessions.service';
import { UserDirectory } from '../users/user-directory';

@ApiTags('users')
@AdminAuth()
@Controller('admin/v1/users')
export class SessionsAdminController {
  constructor(
    private readonly users: UserDirectory,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  @Delete(':id/sessions')
  @HttpCode(204)
  @ApiOperation({ summary: 'Signs the user out everywhere: every open session of the user ends at once (204, also when there was none)' })
  async revoke(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string, @CurrentRequest() context: RequestContext): Promise<void> {
    const user = await this.users.findById(admin.organizationId, id);
    if (!user || user.deleted) {
      throw notFound('User');
    }
    const ended = await this.sessions.revokeAllOfUser(user.id, 'admin');
    if (ended > 0) {
      await this.audit.record(
        {
          organizationId: admin.organizationId,
          type: 'session.revoked',
          actorUserId: admin.userId,
          actorApiKeyId: admin.apiKeyId,
          targetType: 'user',
          targetId: user.id,
          detail: `admin:${ended}`,
        },
        context,
      );
    }
  }
}
