import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { Page, PageQueryDto } from '../common/paging.dto';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { ReleasedPurgesDto, ReleaseHeldPurgesDto } from './dto/purge-policy.dto';
import { PurgedItemResponseDto, PurgeListQueryDto, PurgeResponseDto } from './dto/purge.dto';
import { PurgeQueryService } from './purge-query.service';
import { PurgeRetryService } from './purge-retry.service';
import { PurgeReleaseService } from './safeguards/purge-release.service';

@ApiTags('purges')
@AdminAuth()
@Controller('admin/v1/purges')
export class PurgesController {
  constructor(
    private readonly query: PurgeQueryService,
    private readonly retries: PurgeRetryService,
    private readonly releases: PurgeReleaseService,
  ) {}

  @Post('release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release every purge held by the mass-deactivation breaker (subject to the grace period); audited' })
  async releaseAll(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() body: ReleaseHeldPurgesDto,
    @CurrentRequest() context: RequestContext,
  ): Promise<ReleasedPurgesDto> {
    return { reason: body.reason, released: await this.releases.releaseAll(admin, body.reason, context) };
  }

  @Get()
  @ApiOperation({ summary: "The organization's purges, newest first; filter by state or user" })
  list(@CurrentAdmin() admin: AdminPrincipal, @Query() query: PurgeListQueryDto): Promise<Page<PurgeResponseDto>> {
    return this.query.page(admin.organizationId, { state: query.state, userId: query.userId }, query.offset, query.limit);
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'State, progress, counts and bytes deleted, timings, attempts, last error, the data keys destroyed (ids and when), and the receipt once completed',
  })
  get(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string): Promise<PurgeResponseDto> {
    return this.query.get(admin.organizationId, id);
  }

  @Get(':id/items')
  @ApiOperation({ summary: "What the purge deleted, in the receipt digest's canonical order" })
  items(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string, @Query() page: PageQueryDto): Promise<Page<PurgedItemResponseDto>> {
    return this.query.items(admin.organizationId, id, page.offset, page.limit);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Release a purge held by the mass-deactivation breaker: pending, or scheduled until its grace period (from the deactivation) ends; ' +
      '409 unless held for mass_deactivation; audited',
  })
  async release(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<PurgeResponseDto> {
    await this.releases.releaseOne(admin, id, context);
    return this.query.get(admin.organizationId, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed purge now (409 unless failed)' })
  retry(@CurrentAdmin() admin: AdminPrincipal, @Param('id') id: string): Promise<PurgeResponseDto> {
    return this.retries.retry(admin.organizationId, id);
  }
}
