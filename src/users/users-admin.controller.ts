import { Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { Page } from '../common/paging.dto';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { PurgeQueryService } from '../retention/purge-query.service';
import { UserListQueryDto } from './dto/user-list-query.dto';
import { toUserResponse, UserDetailResponseDto, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@AdminAuth()
@Controller('admin/v1/users')
export class UsersAdminController {
  constructor(
    private readonly users: UsersService,
    private readonly purges: PurgeQueryService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The organization's users, newest first; filter by status and userName prefix" })
  async list(@CurrentAdmin() admin: AdminPrincipal, @Query() query: UserListQueryDto): Promise<Page<UserResponseDto>> {
    const active = query.status === undefined ? undefined : query.status === 'active';
    const { users, total } = await this.users.listForAdmin(
      admin.organizationId,
      { active, userName: query.userName },
      query.offset,
      query.limit,
    );
    return { items: users.map(toUserResponse), total, limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user: profile, status and the latest purge of their history' })
  async get(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string): Promise<UserDetailResponseDto> {
    const user = await this.users.findForAdmin(admin.organizationId, id);
    return { ...toUserResponse(user), latestPurge: await this.purges.latestForUser(admin.organizationId, user.id) };
  }

  @Post(':id/admin')
  @ApiOperation({ summary: 'Grant the administrator role to an active user of the organization' })
  async grant(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.users.setAdministrator(admin, id, true, context));
  }

  @Delete(':id/admin')
  @ApiOperation({ summary: 'Revoke the administrator role; the last active administrator cannot be demoted' })
  async revoke(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.users.setAdministrator(admin, id, false, context));
  }
}
