import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ScimDiscoveryController } from './scim-discovery.controller';
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
export class ScimModule {}
