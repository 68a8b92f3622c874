import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ScimUsersController } from './scim-users.controller';

@Module({
  imports: [UsersModule],
  controllers: [ScimUsersController],
})
export class ScimModule {}
