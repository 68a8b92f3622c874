import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorFormats } from '../common/errors/error-formats';
import { UsersModule } from '../users/users.module';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { SCIM_ERROR_FORMAT } from './scim-error';
import { ScimFilterMetrics } from './scim-filter.metrics';
import { ScimUnsupportedController } from './scim-unsupported.controller';
import { ScimUserSearch } from './scim-user-search';
import { ScimUsersController } from './scim-users.controller';

@Module({
  imports: [UsersModule],
  // Unsupported routes first: '/Users/.search' must not be taken for a user id.
  controllers: [ScimUnsupportedController, ScimDiscoveryController, ScimUsersController],
  providers: [ScimUserSearch, ScimFilterMetrics],
})
export class ScimModule implements OnModuleInit {
  constructor(private readonly errorFormats: ErrorFormats) {}

  /** Errors under /scim, wherever raised (guards, body parsers, Node), answer in the SCIM format. */
  onModuleInit(): void {
    this.errorFormats.register(SCIM_ERROR_FORMAT);
  }
}
