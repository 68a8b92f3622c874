import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { SignInLinksService } from '../../src/sign-in-links/sign-in-links.service';
import { rememberSecret } from './secret-ledger';

/** A browser's cookie jar for one host, as far as these tests need one: name → value. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: request.Response): void {
    const header = response.headers['set-cookie'] as unknown as string[] | undefined;
    for (const line of header ?? []) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

/** The CSRF token a console page's forms carry. */
export function csrfTokenIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) {
    throw new Error(`no CSRF token in ${html.slice(0, 300)}`);
  }
  return token;
}

/** A one-time sign-in link's token (the part after #), as the CLI would print it. */
export async function signInLinkToken(app: INestApplication, hostname: string, email: string, now?: Date): Promise<string> {
  const link = await app.get(SignInLinksService).issue(hostname, email, now);
  const token = new URL(link.url).hash.slice(1);
  rememberSecret(token);
  return token;
}

/** Signs in through /login/link as a browser would; returns the jar holding the session. */
export async function signInWithLink(
  app: INestApplication,
  hostname: string,
  token: string,
  jar = new CookieJar(),
): Promise<{ jar: CookieJar; response: request.Response }> {
  const form = await consoleGet(app, hostname, '/login/link', jar).expect(200);
  jar.take(form);
  const response = await consolePost(app, hostname, '/login/link', jar, { token, _csrf: csrfTokenIn(form.text) });
  jar.take(response);
  return { jar, response };
}

export function consoleGet(app: INestApplication, hostname: string, path: string, jar: CookieJar): request.Test {
  return request(app.getHttpServer()).get(path).set('Host', hostname).set('Cookie', jar.header);
}

export function consolePost(
  app: INestApplication,
  hostname: string,
  path: string,
  jar: CookieJar,
  form: Record<string, string>,
): request.Test {
  return request(app.getHttpServer())
    .post(path)
    .set('Host', hostname)
    .set('Cookie', jar.header)
    .type('form')
    .send(new URLSearchParams(form).toString());
}
