import { Module } from '@nestjs/common';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Sign-in sessions, with no HTTP surface of its own (the sso module serves sign-in and the session
 * routes). A leaf: provisioning revokes sessions through it without a cycle.
 */
@Module({
  providers: [SessionsRepository, SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
