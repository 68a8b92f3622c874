import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiConsumes,
  ApiGoneResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { StreamedSignedBody } from '../auth/streamed-body.decorator';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { releasedAsSent } from '../common/http/released-as-sent';
import { attachmentDisposition } from './attachment';
import { CONTENT_SHA256_HEADER, UPLOAD_MEDIA_TYPE } from './content-digest';
import { FilePageDto, MessagePageDto, toFilePage, toMessagePage } from './dto/history-read.dto';
import {
  FileResponseDto,
  HistoryResponseDto,
  MessageCreateDto,
  MessageResponseDto,
  toFileResponse,
  toMessageResponse,
} from './dto/history.dto';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageRequest } from './history-cursor';
import { HistoryReader } from './history-reader';
import { HistoryService } from './history.service';

@ApiTags('history')
@AdminAuth()
@Controller('admin/v1/users/:id')
export class HistoryController {
  constructor(
    private readonly history: HistoryService,
    private readonly reader: HistoryReader,
  ) {}

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
    // The request body's buffers are fresh copies read by the upload alone.
    return toFileResponse(await this.history.addFile(admin.organizationId, userId, upload, req.raw, { sourceBuffersAreOurs: true }));
  }

  @Get('history')
  @ApiOperation({ summary: "Counts and bytes of a user's history" })
  async summary(@CurrentAdmin() admin: AdminPrincipal, @Param('id') userId: string): Promise<HistoryResponseDto> {
    const summary = await this.history.summary(admin.organizationId, userId);
    return { userId, messages: { count: summary.messages }, files: { count: summary.files, bytes: summary.bytes } };
  }

  @Get('messages')
  @ApiOperation({
    summary: "A user's messages, decrypted, newest first, a page at a time",
    description: 'Messages whose key was destroyed (awaiting their purge) are left out, so a page may hold fewer than limit items.',
  })
  @ApiQuery({ name: 'limit', required: false, description: `1 to ${MAX_PAGE_LIMIT}, default ${DEFAULT_PAGE_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiNotFoundResponse({ description: 'No such user in this organization' })
  @ApiGoneResponse({ description: 'The user was deactivated and their content crypto-shredded (the message says when)' })
  async messages(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') userId: string,
    @Query('limit') limit: string | undefined,
    @Query('cursor') cursor: string | undefined,
  ): Promise<MessagePageDto> {
    return toMessagePage(await this.reader.messages(admin.organizationId, userId, pageRequest(limit, cursor)));
  }

  @Get('files')
  @ApiOperation({
    summary: "A user's files (names decrypted), newest first, a page at a time",
    description: 'Files whose key was destroyed (awaiting their purge) are left out, so a page may hold fewer than limit items.',
  })
  @ApiQuery({ name: 'limit', required: false, description: `1 to ${MAX_PAGE_LIMIT}, default ${DEFAULT_PAGE_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: FilePageDto })
  @ApiNotFoundResponse({ description: 'No such user in this organization' })
  @ApiGoneResponse({ description: 'The user was deactivated and their content crypto-shredded (the message says when)' })
  async files(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') userId: string,
    @Query('limit') limit: string | undefined,
    @Query('cursor') cursor: string | undefined,
  ): Promise<FilePageDto> {
    return toFilePage(await this.reader.files(admin.organizationId, userId, pageRequest(limit, cursor)));
  }

  @Get('files/:fileId/content')
  @ApiOperation({
    summary: "A file's content, decrypted as it streams",
    description:
      'Content-Length is the decrypted size and ETag the SHA-256 signed at upload. Damage found before the response starts is a 422; found later (a chunk deep in a large file), the transfer is aborted: never altered bytes.',
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The bytes', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'No such user or file (or the file was purged)' })
  @ApiGoneResponse({ description: 'The content was crypto-shredded (the message says when)' })
  @ApiUnprocessableEntityResponse({ description: 'The stored content does not decrypt (modified, cut short, unknown key)' })
  async fileContent(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') userId: string,
    @Param('fileId') fileId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!/^[1-9][0-9]{0,14}$/.test(fileId)) {
      throw new DomainError(DomainErrorCode.NotFound, 'File not found.');
    }
    const download = await this.reader.fileContent(admin.organizationId, userId, Number(fileId));
    await reply
      .headers({
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': attachmentDisposition(download.name),
        'Content-Length': String(download.sizeBytes),
        ETag: `"${download.sha256}"`,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      .send(releasedAsSent(download.content));
  }
}
