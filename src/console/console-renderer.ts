import { Injectable } from '@nestjs/common';
// Types only: reply.viewAsync and reply.generateCsrf, registered in console-http.ts.
import type {} from '@fastify/csrf-protection';
import type {} from '@fastify/view';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleActions } from './console-actions';
import { Viewer } from './console-authenticator';
import { csrfBinding, csrfCookieName } from './console-http';
import { CONSOLE_CONTENT_SECURITY_POLICY } from './console-routes';

type Link = { href: string; label: string };

const USER_LINKS: Link[] = [
  { href: '/', label: 'Home' },
  { href: '/account', label: 'Account' },
];
const ADMIN_LINKS: Link[] = [
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/purges', label: 'Purges' },
  { href: '/admin/sso', label: 'Single sign-on' },
  { href: '/admin/audit', label: 'Audit trail' },
];

const BYTE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function formatDate(value: Date | string): string {
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/**
 * Renders console pages: every one with the console's Content-Security-Policy, never cached
 * (`no-store`: pages show secrets once, and personal data), and with a CSRF token bound to the
 * session for its forms.
 */
@Injectable()
export class ConsoleRenderer {
  constructor(private readonly actions: ConsoleActions) {}

  async page(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    context: { title: string; organizationName: string; viewer: Viewer | null } & Record<string, unknown>,
    status = 200,
    options: { newCsrfSecret?: boolean } = {},
  ): Promise<void> {
    if (options.newCsrfSecret) {
      // The page shows a secret once: a new CSRF secret makes the form that asked for it stale, so a
      // reload (which re-posts it) is refused instead of issuing, and showing, another secret.
      delete request.cookies[csrfCookieName(this.actions.cookiesAreSecure())];
    }
    const csrfToken = reply.generateCsrf({ userInfo: csrfBinding(this.actions, request) });
    const navigation = context.viewer ? [...USER_LINKS, ...(context.viewer.isAdmin ? ADMIN_LINKS : [])] : [];
    const html = await reply.viewAsync(template, {
      ...context,
      csrfToken,
      navigation,
      currentPath: request.url.split('?', 1)[0],
      formatBytes,
      formatDate,
      fullName: fullNameOf(context.viewer),
    });
    await reply.status(status).headers(consoleHeaders()).type('text/html; charset=utf-8').send(html);
  }

  async redirect(reply: FastifyReply, location: string, cookie?: string): Promise<void> {
    if (cookie) {
      void reply.header('Set-Cookie', cookie);
    }
    await reply.headers(consoleHeaders()).redirect(location, 303);
  }
}

export function consoleHeaders(): Record<string, string> {
  return { 'Cache-Control': 'no-store', 'Content-Security-Policy': CONSOLE_CONTENT_SECURITY_POLICY };
}

function fullNameOf(viewer: Viewer | null): string {
  if (!viewer) {
    return '';
  }
  const name = [viewer.givenName, viewer.familyName].filter((part) => part).join(' ');
  return name === '' ? viewer.userName : name;
}
