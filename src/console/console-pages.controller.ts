import { Body, Controller, Get, Param, Post, Query, Req, Res, SetMetadata } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_KIND, AuthKind } from '../auth/auth-kind.decorator';
import { DomainError } from '../common/domain-error';
import { requestContextOf } from '../common/request-context';
import { ConsoleActions } from './console-actions';
import { ConsoleAuthenticator } from './console-authenticator';
import { Admitted, ConsoleGate, noticeOf, statusOf } from './console-gate';
import { ConsoleRenderer } from './console-renderer';

/**
 * A console route: ConsoleGate checks the session cookie and answers signed-out visitors itself (a
 * redirect to /login); the sign-in pages and assets need no session; every POST needs a CSRF token.
 */
export const ConsoleRoute = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_KIND, 'console' satisfies AuthKind);

type Form = Record<string, string | undefined>;

const INVALID_LINK =
  'This sign-in link is not valid here: it may have expired (links last 10 minutes), been used already, or be for another organization. Ask for a new one.';

/** Sign-in, sign-out, and the account page with the administrator's API keys. */
@ApiExcludeController()
@ConsoleRoute()
@Controller()
export class ConsolePagesController {
  constructor(
    private readonly actions: ConsoleActions,
    private readonly authenticator: ConsoleAuthenticator,
    private readonly gate: ConsoleGate,
    private readonly renderer: ConsoleRenderer,
  ) {}

  @Get('login')
  @ConsoleRoute()
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const organization = await this.gate.organization(request, reply);
    if (!organization) {
      return;
    }
    if (await this.authenticator.viewerOf(request)) {
      return this.renderer.redirect(reply, '/');
    }
    const ssoEnabled = await this.actions.isSsoEnabled(organization.id);
    await this.renderer.page(request, reply, 'login', { title: 'Sign in', organizationName: organization.name, viewer: null, ssoEnabled });
  }

  @Get('login/link')
  @ConsoleRoute()
  async signInLinkForm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const organization = await this.gate.organization(request, reply);
    if (organization) {
      await this.renderer.page(request, reply, 'link', { title: 'Sign in with a link', organizationName: organization.name, viewer: null });
    }
  }

  @Post('login/link')
  @ConsoleRoute()
  async useSignInLink(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form): Promise<void> {
    const organization = await this.gate.organization(request, reply);
    if (!organization) {
      return;
    }
    const opened = await this.actions.consumeSignInLink(form.token ?? '', request.hostname, requestContextOf(request));
    if (!opened) {
      await this.renderer.page(
        request,
        reply,
        'link',
        { title: 'Sign in with a link', organizationName: organization.name, viewer: null, problem: INVALID_LINK },
        401,
      );
      return;
    }
    await this.renderer.redirect(reply, '/', this.actions.sessionCookieFor(opened.token));
  }

  @Post('logout')
  @ConsoleRoute()
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const viewer = await this.authenticator.viewerOf(request);
    if (viewer) {
      await this.actions.signOut(
        { id: viewer.sessionId, organizationId: viewer.organizationId, userId: viewer.userId },
        requestContextOf(request),
      );
    }
    await this.renderer.redirect(reply, '/login', this.actions.clearedSessionCookie());
  }

  @Get('account')
  @ConsoleRoute()
  async account(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Record<string, unknown>): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: false });
    if (admitted) {
      await this.renderAccount(request, reply, admitted, { notice: noticeOf(query) });
    }
  }

  @Post('account/api-keys')
  @ConsoleRoute()
  async generateApiKey(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    const description = (form.description ?? '').trim().slice(0, 255);
    const issuedKey = await this.actions.createApiKey(
      actorOf(admitted),
      description === '' ? null : description,
      requestContextOf(request),
    );
    await this.renderAccount(request, reply, admitted, { issuedKey }, 200, { newCsrfSecret: true });
  }

  @Post('account/api-keys/:id/revoke')
  @ConsoleRoute()
  async revokeApiKey(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    try {
      await this.actions.revokeApiKey(actorOf(admitted), id, requestContextOf(request));
    } catch (error) {
      return this.refused(request, reply, admitted, error);
    }
    await this.renderer.redirect(reply, '/account?notice=key-revoked');
  }

  @Post('account/api-keys/:id/scim-credentials')
  @ConsoleRoute()
  async issueScimCredential(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    let credential: { username: string; password: string; scimBaseUrl: string };
    try {
      credential = await this.actions.issueScimCredential(actorOf(admitted), id, requestContextOf(request));
    } catch (error) {
      return this.refused(request, reply, admitted, error);
    }
    const key = (await this.actions.apiKeysOf(actorOf(admitted))).find((candidate) => candidate.id === id)?.key ?? id;
    await this.renderAccount(request, reply, admitted, { scimCredential: { ...credential, key } }, 200, { newCsrfSecret: true });
  }

  private async refused(request: FastifyRequest, reply: FastifyReply, admitted: Admitted, error: unknown): Promise<void> {
    if (!(error instanceof DomainError)) {
      throw error;
    }
    await this.renderAccount(request, reply, admitted, { problem: error.message }, statusOf(error));
  }

  private async renderAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    admitted: Admitted,
    extras: Record<string, unknown>,
    status = 200,
    options: { newCsrfSecret?: boolean } = {},
  ): Promise<void> {
    const apiKeys = admitted.viewer.isAdmin ? await this.actions.apiKeysOf(actorOf(admitted)) : [];
    await this.renderer.page(
      request,
      reply,
      'account',
      { title: 'Edit Profile', organizationName: admitted.organization.name, viewer: admitted.viewer, apiKeys, ...extras },
      status,
      options,
    );
  }
}

export function actorOf(admitted: Admitted): { organizationId: string; userId: string } {
  return { organizationId: admitted.organization.id, userId: admitted.viewer.userId };
}
