import { Injectable } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import { Settings } from '../config/settings';

/**
 * The session cookie: HttpOnly, SameSite=Lax, Path=/, no Domain (the organization's host only);
 * Secure, and named with the `__Host-` prefix browsers enforce, when the external URL is https.
 */
@Injectable()
export class SessionCookie {
  readonly name: string;
  private readonly secure: boolean;

  constructor(private readonly settings: Settings) {
    this.secure = settings.sso.organizationUrlTemplate.startsWith('https:');
    this.name = this.secure ? '__Host-ss_session' : 'ss_session';
  }

  /** The token the request's Cookie header carries, if any. */
  tokenOf(cookieHeader: string | undefined): string | null {
    if (!cookieHeader) {
      return null;
    }
    return parseCookie(cookieHeader)[this.name] ?? null;
  }

  set(token: string): string {
    return stringifySetCookie({
      name: this.name,
      value: token,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      path: '/',
      maxAge: Math.floor(this.settings.sessions.absoluteTimeoutMs / 1000),
    });
  }

  clear(): string {
    return stringifySetCookie({ name: this.name, value: '', httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 });
  }
}
