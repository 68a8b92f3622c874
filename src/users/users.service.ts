import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { normalizeUserName, User } from './user.entity';

export type NewAdministrator = {
  email: string;
  givenName: string;
  familyName: string;
};

@Injectable()
export class UsersService {
  /** The administrator's userName is their email, as Okta will send it when it links them. */
  async createAdministrator(manager: EntityManager, organizationId: string, admin: NewAdministrator): Promise<User> {
    const users = manager.getRepository(User);
    const user = users.create({
      id: randomUUID(),
      organizationId,
      userName: admin.email,
      userNameNormalized: normalizeUserName(admin.email),
      email: admin.email,
      givenName: admin.givenName,
      familyName: admin.familyName,
      externalId: null,
      active: true,
      role: 'admin',
    });
    return users.save(user);
  }
}
