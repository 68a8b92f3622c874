import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ConsoleActions } from './console-actions';

/** The person a console request is for, and where. */
export type Viewer = {
  readonly sessionId: string;
  readonly organizationId: string;
  readonly organizationName: string;
  readonly userId: string;
  readonly userName: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly role: string;
  readonly isAdmin: boolean;
};

/**
 * Decides on every console request whether its session cookie still signs someone in: the session
 * is open, belongs to the organization of the host it is presented on, its user is active, and
 * either the organization's single sign-on is enabled or the session came from a one-time sign-in
 * link (the way in before SSO exists), which opens administrator sessions only.
 */
@Injectable()
export class ConsoleAuthenticator {
  constructor(private readonly actions: ConsoleActions) {}

  async viewerOf(request: FastifyRequest): Promise<Viewer | null> {
    const token = this.actions.sessionTokenOf(request.headers.cookie);
    if (token === null) {
      return null;
    }
    const session = await this.actions.openSession(token);
    if (!session) {
      return null;
    }
    const organization = await this.actions.organizationAt(request.hostname);
    if (organization?.id !== session.organizationId) {
      return null;
    }
    const user = await this.actions.findUser(organization.id, session.userId);
    if (!user?.active || user.deleted) {
      return null;
    }
    const byLink = session.loginFlow === 'sign_in_link';
    if (byLink ? user.role !== 'admin' : !(await this.actions.isSsoEnabled(organization.id))) {
      return null;
    }
    await this.actions.touchSession(session);
    return {
      sessionId: session.id,
      organizationId: organization.id,
      organizationName: organization.name,
      userId: user.id,
      userName: user.userName,
      givenName: user.givenName,
      familyName: user.familyName,
      role: user.role,
      isAdmin: user.role === 'admin',
    };
  }
}
