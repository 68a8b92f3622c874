import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { Page } from '../common/paging.dto';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { PurgeQueryService } from '../retention/purge-query.service';
import { LegalHoldResponseDto, PlaceLegalHoldDto, toLegalHoldResponse } from './dto/legal-hold.dto';
import { UserListQueryDto } from './dto/user-list-query.dto';
import { toUserResponse, UserDetailResponseDto, UserResponseDto } from './dto/user-response.dto';
import { UserLegalHoldsService } from './user-legal-holds.service';
import { UsersService } from './users.service';

@ApiTags('users')
@AdminAuth()
@Controller('admin/v1/users')
export class UsersAdminController {
  constructor(
    private readonly users: UsersService,
    private readonly purges: PurgeQueryService,
    private readonly legalHolds: UserLegalHoldsService,
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

  @Get(':id/legal-hold')
  @ApiOperation({ summary: "The user's legal hold (null when none) and their latest purge" })
  async getLegalHold(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string): Promise<LegalHoldResponseDto> {
    return toLegalHoldResponse(id, await this.legalHolds.get(admin.organizationId, id));
  }

  @Put(':id/legal-hold')
  @ApiOperation({
    summary:
      'Place (or re-word) a legal hold: the user may be deactivated but is not purged until it is lifted; a waiting purge ' +
      '(held or scheduled) is held for it; 409 legal_hold_too_late when a purge already destroyed the data keys; audited',
  })
  async placeLegalHold(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @Body() body: PlaceLegalHoldDto,
    @CurrentRequest() context: RequestContext,
  ): Promise<LegalHoldResponseDto> {
    return toLegalHoldResponse(id, await this.legalHolds.place(admin, id, body.reason, context));
  }

  @Delete(':id/legal-hold')
  @ApiOperation({ summary: 'Lift the legal hold; a purge held for it is released (subject to the grace period); audited' })
  async liftLegalHold(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<LegalHoldResponseDto> {
    return toLegalHoldResponse(id, await this.legalHolds.lift(admin, id, context));
  }
}
