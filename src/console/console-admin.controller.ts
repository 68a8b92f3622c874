import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-error';
import { requestContextOf } from '../common/request-context';
import { PURGE_STATES, PurgeState } from '../retention/purge.entity';
import { ConsoleActions } from './console-actions';
import { Admitted, ConsoleGate, noticeOf, PAGE_SIZE, pageNumberOf, pagerFor, statusOf } from './console-gate';
import { actorOf, ConsoleRoute } from './console-pages.controller';
import { ConsoleRenderer } from './console-renderer';

type Form = Record<string, string | undefined>;
type Query = Record<string, unknown>;

const USER_STATES = ['all', 'active', 'inactive'] as const;

/** The administrator's screens: users, purges, single sign-on and the audit trail. */
@ApiExcludeController()
@ConsoleRoute()
@Controller('admin')
export class ConsoleAdminController {
  constructor(
    private readonly actions: ConsoleActions,
    private readonly gate: ConsoleGate,
    private readonly renderer: ConsoleRenderer,
  ) {}

  @Get('users')
  async users(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Query): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (admitted) {
      await this.renderUsers(request, reply, admitted, query, { notice: noticeOf(query) });
    }
  }

  @Post('users/:id/role')
  async setRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string, @Body() form: Form): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    if (form.role !== 'admin' && form.role !== 'user') {
      return this.renderUsers(request, reply, admitted, {}, { problem: 'Choose the role admin or user.' }, 400);
    }
    const refused = await refusalOf(() =>
      this.actions.setAdministrator(actorOf(admitted), id, form.role === 'admin', requestContextOf(request)),
    );
    if (refused) {
      return this.renderUsers(request, reply, admitted, {}, { problem: refused.message }, statusOf(refused));
    }
    await this.renderer.redirect(reply, `/admin/users?notice=${form.role === 'admin' ? 'role-granted' : 'role-revoked'}`);
  }

  @Post('users/:id/sessions/revoke')
  async revokeSessions(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    const refused = await refusalOf(() => this.actions.revokeSessionsOf(actorOf(admitted), id, requestContextOf(request)));
    if (refused) {
      return this.renderUsers(request, reply, admitted, {}, { problem: refused.message }, statusOf(refused));
    }
    await this.renderer.redirect(reply, '/admin/users?notice=sessions-revoked');
  }

  @Get('purges')
  async purges(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Query): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (admitted) {
      await this.renderPurges(request, reply, admitted, query, { notice: noticeOf(query) });
    }
  }

  @Post('purges/:id/retry')
  async retryPurge(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    const refused = await refusalOf(() => this.actions.retryPurge(admitted.organization.id, id));
    if (refused) {
      return this.renderPurges(request, reply, admitted, {}, { problem: refused.message }, statusOf(refused));
    }
    await this.renderer.redirect(reply, '/admin/purges?notice=purge-retried');
  }

  @Get('sso')
  async sso(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Query): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (admitted) {
      await this.renderSso(request, reply, admitted, { notice: noticeOf(query) });
    }
  }

  @Post('sso')
  async configureSso(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    const input = { idpMetadataXml: form.idpMetadataXml ?? '', allowIdpInitiated: form.allowIdpInitiated === 'true' };
    const refused = await refusalOf(() =>
      this.actions.configureSso(actorOf(admitted), admitted.organization, input, requestContextOf(request)),
    );
    if (refused) {
      return this.renderSso(request, reply, admitted, { problem: refused.message }, statusOf(refused));
    }
    await this.renderer.redirect(reply, '/admin/sso?notice=sso-saved');
  }

  /** The confirm step: what disabling does, and the form that does it. */
  @Get('sso/disable')
  async confirmDisableSso(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (admitted) {
      const enabled = await this.actions.isSsoEnabled(admitted.organization.id);
      await this.renderer.page(request, reply, 'admin-sso-disable', {
        title: 'Disable single sign-on',
        organizationName: admitted.organization.name,
        viewer: admitted.viewer,
        enabled,
      });
    }
  }

  @Post('sso/disable')
  async disableSso(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    if (form.confirm !== 'disable') {
      return this.renderSso(request, reply, admitted, { problem: 'Confirm on the Disable single sign-on page: nothing was changed.' }, 400);
    }
    const refused = await refusalOf(() => this.actions.disableSso(actorOf(admitted), admitted.organization, requestContextOf(request)));
    if (refused) {
      return this.renderSso(request, reply, admitted, { problem: refused.message }, statusOf(refused));
    }
    // Every session of the organization ended, this one too.
    await this.renderer.redirect(reply, '/login', this.actions.clearedSessionCookie());
  }

  @Get('audit')
  async audit(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Query): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: true });
    if (!admitted) {
      return;
    }
    const page = pageNumberOf(query.page);
    const { items, total } = await this.actions.auditTrail(admitted.organization.id, (page - 1) * PAGE_SIZE, PAGE_SIZE);
    await this.renderer.page(request, reply, 'admin-audit', {
      title: 'Audit trail',
      organizationName: admitted.organization.name,
      viewer: admitted.viewer,
      events: items,
      total,
      pager: pagerFor('/admin/audit', {}, page, total),
    });
  }

  private async renderUsers(
    request: FastifyRequest,
    reply: FastifyReply,
    admitted: Admitted,
    query: Query,
    extras: Record<string, unknown>,
    status = 200,
  ): Promise<void> {
    const search = typeof query.q === 'string' ? query.q.trim().slice(0, 255) : '';
    const state = USER_STATES.find((candidate) => candidate === query.state) ?? 'all';
    const page = pageNumberOf(query.page);
    const filter = { userName: search === '' ? undefined : search, active: state === 'all' ? undefined : state === 'active' };
    const { items, total } = await this.actions.listUsers(admitted.organization.id, filter, (page - 1) * PAGE_SIZE, PAGE_SIZE);
    await this.renderer.page(
      request,
      reply,
      'admin-users',
      {
        title: 'Users',
        organizationName: admitted.organization.name,
        viewer: admitted.viewer,
        users: items,
        total,
        query: { q: search, state },
        pager: pagerFor('/admin/users', { q: search, state }, page, total),
        ...extras,
      },
      status,
    );
  }

  private async renderPurges(
    request: FastifyRequest,
    reply: FastifyReply,
    admitted: Admitted,
    query: Query,
    extras: Record<string, unknown>,
    status = 200,
  ): Promise<void> {
    const state: PurgeState | undefined = PURGE_STATES.find((candidate) => candidate === query.state);
    const page = pageNumberOf(query.page);
    const { items, total } = await this.actions.listPurges(admitted.organization.id, state, (page - 1) * PAGE_SIZE, PAGE_SIZE);
    await this.renderer.page(
      request,
      reply,
      'admin-purges',
      {
        title: 'Purges',
        organizationName: admitted.organization.name,
        viewer: admitted.viewer,
        purges: items,
        safeguards: await this.actions.purgeSafeguards(admitted.organization.id),
        total,
        query: { state: state ?? 'all' },
        pager: pagerFor('/admin/purges', { state: state ?? 'all' }, page, total),
        ...extras,
      },
      status,
    );
  }

  private async renderSso(
    request: FastifyRequest,
    reply: FastifyReply,
    admitted: Admitted,
    extras: Record<string, unknown>,
    status = 200,
  ): Promise<void> {
    const { view, warnings } = await this.actions.ssoSettings(admitted.organization);
    await this.renderer.page(
      request,
      reply,
      'admin-sso',
      { title: 'Single sign-on', organizationName: admitted.organization.name, viewer: admitted.viewer, view, warnings, ...extras },
      status,
    );
  }
}

/** A refusal the page explains; anything else is a fault for the error handler. */
/** Runs a form's action: the domain's refusal to show on the re-rendered screen, or null when it was done. Anything else propagates. */
async function refusalOf(action: () => Promise<unknown>): Promise<DomainError | null> {
  try {
    await action();
    return null;
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
}
