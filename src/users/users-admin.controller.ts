import { Controller, Delete, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { toUserResponse, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@AdminAuth()
@Controller('admin/v1/users')
export class UsersAdminController {
  constructor(private readonly users: UsersService) {}

  @Post(':id/admin')
  @ApiOperation({ summary: 'Grant the administrator role to an active user of the organization' })
  async grant(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string, @CurrentRequest() context: RequestContext): Promise<UserResponseDto> {
    return toUserResponse(await this.users.setAdministrator(admin, id, true, context));
  }

  @Delete(':id/admin')
  @ApiOperation({ summary: 'Revoke the administrator role; the last active administrator cannot be demoted' })
  async revoke(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string, @CurrentRequest() context: RequestContext): Promise<UserResponseDto> {
    return toUserResponse(await this.users.setAdministrator(admin, id, false, context));
  }
}
