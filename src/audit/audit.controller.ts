import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { Page, PageQueryDto } from '../common/paging.dto';
import { AuditService } from './audit.service';
import { AuditEventResponseDto, toAuditEventResponse } from './dto/audit-event-response.dto';

@ApiTags('audit')
@AdminAuth()
@Controller('admin/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: "The organization's audit trail, newest first" })
  async list(@CurrentAdmin() admin: AdminPrincipal, @Query() page: PageQueryDto): Promise<Page<AuditEventResponseDto>> {
    const { items, total } = await this.audit.list(admin.organizationId, page.limit, page.offset);
    return { items: items.map(toAuditEventResponse), total, limit: page.limit, offset: page.offset };
  }
}
