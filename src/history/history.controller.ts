import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { StreamedSignedBody } from '../auth/streamed-body.decorator';
import { CONTENT_SHA256_HEADER, UPLOAD_MEDIA_TYPE } from './content-digest';
import {
  FileResponseDto,
  HistoryResponseDto,
  MessageCreateDto,
  MessageResponseDto,
  toFileResponse,
  toMessageResponse,
} from './dto/history.dto';
import { HistoryService } from './history.service';

@ApiTags('history')
@AdminAuth()
@Controller('admin/v1/users/:id')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Post('messages')
  @HttpCode(201)
  @ApiOperation({ summary: "Add a message to an active user's history" })
  async addMessage(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') userId: string,
    @Body() body: MessageCreateDto,
  ): Promise<MessageResponseDto> {
    return toMessageResponse(await this.history.addMessage(admin.organizationId, userId, body));
  }

  @Post('files')
  @HttpCode(201)
  @StreamedSignedBody(UPLOAD_MEDIA_TYPE)
  @ApiOperation({
    summary: "Upload a file into an active user's history (raw bytes, streamed)",
    description: `Send the lowercase hex SHA-256 of the content in ${CONTENT_SHA256_HEADER}; that value is the bodySha256 the request signature covers. Content that does not hash to it is refused.`,
  })
  @ApiConsumes(UPLOAD_MEDIA_TYPE)
  @ApiQuery({ name: 'name', required: true })
  @ApiHeader({ name: CONTENT_SHA256_HEADER, required: true })
  async addFile(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') userId: string,
    @Query('name') name: string | undefined,
    @Headers(CONTENT_SHA256_HEADER) declaredSha256: string | undefined,
    @Req() req: FastifyRequest,
  ): Promise<FileResponseDto> {
    const length = req.headers['content-length'];
    const upload = {
      name,
      declaredSha256,
      contentType: req.headers['content-type'],
      contentLength: length === undefined ? undefined : Number(length),
    };
    return toFileResponse(await this.history.addFile(admin.organizationId, userId, upload, req.raw));
  }

  @Get('history')
  @ApiOperation({ summary: "Counts and bytes of a user's history" })
  async summary(@CurrentAdmin() admin: AdminPrincipal, @Param('id') userId: string): Promise<HistoryResponseDto> {
    const summary = await this.history.summary(admin.organizationId, userId);
    return { userId, messages: { count: summary.messages }, files: { count: summary.files, bytes: summary.bytes } };
  }
}
