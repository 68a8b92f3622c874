import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimUnsupportedController } from './scim-unsupported.controller';
import { ScimUsersController } from './scim-users.controller';
import { ScimFilterMetrics } from './scim-filter.metrics';
import { ScimUserSearch } from './scim-user-search';

@Module({
  imports: [UsersModule],
  // Unsupported routes first: '/Users/.search' must not be taken for a user id.
  controllers: [ScimUnsupportedController, ScimDiscoveryController, ScimUsersController],
  providers: [ScimUserSearch, ScimFilterMetrics],
})
export class ScimModule {}
