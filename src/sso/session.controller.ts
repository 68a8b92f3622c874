import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { SessionsService } from '../sessions/sessions.service';
import { CurrentSignIn, SessionAuth } from './session-auth';
import { SignedIn } from './session-authenticator';
import { SessionCookie } from './session-cookie';

export type SessionResponse = {
  user: { id: string; userName: string; givenName: string | null; familyName: string | null; role: string };
  organization: { id: string; name: string; hostname: string };
  expiresAt: string;
};

/** The signed-in person's own session, on their organization's host. */
@ApiExcludeController()
@SessionAuth()
@Controller('session')
export class SessionController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly cookie: SessionCookie,
    private readonly audit: AuditService,
  ) {}

  @Get()
  show(@CurrentSignIn() { session, user, organization }: SignedIn, @Res({ passthrough: true }) reply: FastifyReply): SessionResponse {
    void reply.header('Cache-Control', 'no-store');
    return {
      user: { id: user.id, userName: user.userName, givenName: user.givenName, familyName: user.familyName, role: user.role },
      organization: { id: organization.id, name: organization.name, hostname: organization.hostname },
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentSignIn() { session }: SignedIn,
    @CurrentRequest() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    void reply.header('Set-Cookie', this.cookie.clear());
    if (await this.sessions.revoke(session.id, 'logout')) {
      await this.audit.record(
        {
          organizationId: session.organizationId,
          type: 'session.revoked',
          actorUserId: session.userId,
          targetType: 'session',
          targetId: session.id,
          detail: 'logout',
        },
        context,
      );
    }
  }
}
