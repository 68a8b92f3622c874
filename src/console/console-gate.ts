import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { HostedOrganization } from '../organizations/organization-hosts';
import { ConsoleActions } from './console-actions';
import { ConsoleAuthenticator, Viewer } from './console-authenticator';
import { ConsoleRenderer } from './console-renderer';

export type Admitted = { readonly viewer: Viewer; readonly organization: HostedOrganization };

const NOT_FOUND_ORGANIZATION = 'No organization is reached at this address.';

/**
 * Who may see a console page: signed-out visitors are sent to /login, non-administrators get a 403
 * page for the administrator's screens, and a host that names no organization gets a 404 page.
 */
@Injectable()
export class ConsoleGate {
  constructor(
    private readonly actions: ConsoleActions,
    private readonly authenticator: ConsoleAuthenticator,
    private readonly renderer: ConsoleRenderer,
  ) {}

  /** The organization of the request's host, or null after answering 404. */
  async organization(request: FastifyRequest, reply: FastifyReply): Promise<HostedOrganization | null> {
    const organization = await this.actions.organizationAt(request.hostname);
    if (!organization) {
      await this.renderer.page(
        request,
        reply,
        'error',
        { title: 'Not found', organizationName: 'Not found', viewer: null, heading: 'Not found', message: NOT_FOUND_ORGANIZATION },
        404,
      );
    }
    return organization;
  }

  /** The signed-in viewer (an administrator when `admin`), or null after answering for them. */
  async admit(request: FastifyRequest, reply: FastifyReply, options: { admin: boolean }): Promise<Admitted | null> {
    const organization = await this.organization(request, reply);
    if (!organization) {
      return null;
    }
    const viewer = await this.authenticator.viewerOf(request);
    if (!viewer) {
      await this.renderer.redirect(reply, '/login');
      return null;
    }
    if (options.admin && !viewer.isAdmin) {
      await this.renderer.page(
        request,
        reply,
        'error',
        {
          title: 'Forbidden',
          organizationName: organization.name,
          viewer,
          heading: 'Administrators only',
          message: 'This screen is for administrators of your organization.',
        },
        403,
      );
      return null;
    }
    return { viewer, organization };
  }
}

/** The HTTP status a refused console action answers with. */
export function statusOf(error: DomainError): number {
  if (error.code === DomainErrorCode.NotFound) {
    return 404;
  }
  return error.code === DomainErrorCode.InvalidInput ? 400 : 409;
}

/** Messages a redirect after a successful action may name (never free text from the URL). */
export const NOTICES: Readonly<Record<string, string>> = {
  'key-revoked': 'The API key was revoked, with its SCIM credential.',
  'role-granted': 'The user is now an administrator.',
  'role-revoked': 'The user is no longer an administrator.',
  'sessions-revoked': "The user's sessions were ended.",
  'purge-retried': 'The purge was queued again.',
  'sso-saved': 'Single sign-on settings were saved: single sign-on is enabled.',
};

export function noticeOf(query: { notice?: unknown }): string | null {
  return typeof query.notice === 'string' && Object.hasOwn(NOTICES, query.notice) ? NOTICES[query.notice] : null;
}

export const PAGE_SIZE = 20;

export type Pager = { page: number; pages: number; previous: string | null; next: string | null };

export function pageNumberOf(value: unknown): number {
  const page = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return Math.max(1, page);
}

export function pagerFor(path: string, params: Record<string, string>, page: number, total: number): Pager {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (target: number): string => `${path}?${new URLSearchParams({ ...params, page: String(target) }).toString()}`;
  return { page, pages, previous: page > 1 ? link(page - 1) : null, next: page < pages ? link(page + 1) : null };
}
