import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { SignInLinksRepository } from './sign-in-links.repository';
import { SignInLinksService } from './sign-in-links.service';

/** One-time administrator sign-in links: issued by the CLI, spent by the console's /login/link. */
@Module({
  imports: [AuditModule, OrganizationsModule, SessionsModule, UsersModule],
  providers: [SignInLinksRepository, SignInLinksService],
  exports: [SignInLinksService],
})
export class SignInLinksModule {}
