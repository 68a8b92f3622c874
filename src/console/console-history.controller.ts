import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { attachmentDisposition } from '../history/attachment';
import { ConsoleActions, ConsoleDownload } from './console-actions';
import { Admitted, ConsoleGate, PAGE_SIZE, pageNumberOf, pagerFor } from './console-gate';
import { ConsoleRoute } from './console-pages.controller';
import { consoleHeaders, ConsoleRenderer } from './console-renderer';

const ID = /^[1-9]\d{0,14}$/;

/** The signed-in user's own history: the home page's listing, a message's page, a file's download. */
@ApiExcludeController()
@ConsoleRoute()
@Controller()
export class ConsoleHistoryController {
  constructor(
    private readonly actions: ConsoleActions,
    private readonly gate: ConsoleGate,
    private readonly renderer: ConsoleRenderer,
  ) {}

  @Get()
  async home(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Record<string, unknown>): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: false });
    if (!admitted) {
      return;
    }
    const { organization, viewer } = admitted;
    const page = pageNumberOf(query.page);
    const [history, listing] = await Promise.all([
      this.actions.historySummary(organization.id, viewer.userId),
      this.actions.historyPage(organization.id, viewer.userId, (page - 1) * PAGE_SIZE, PAGE_SIZE),
    ]);
    await this.renderer.page(request, reply, 'home', {
      title: 'Home',
      organizationName: organization.name,
      viewer,
      history,
      items: listing.items,
      pager: pagerFor('/', {}, page, listing.total),
    });
  }

  @Get('messages/:id')
  async message(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: false });
    if (!admitted) {
      return;
    }
    try {
      const message = await this.actions.ownMessage(admitted.organization.id, admitted.viewer.userId, idOf(id));
      await this.renderer.page(request, reply, 'message', {
        title: message.subject,
        organizationName: admitted.organization.name,
        viewer: admitted.viewer,
        message,
      });
    } catch (error) {
      await this.refused(request, reply, admitted, error);
    }
  }

  /**
   * The bytes of one of the viewer's own files, streamed from storage as an attachment: never
   * rendered by the browser (octet-stream, nosniff, attachment) and never cached. Another user's id
   * answers exactly as an id that does not exist.
   */
  @Get('files/:id')
  async download(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admitted = await this.gate.admit(request, reply, { admin: false });
    if (!admitted) {
      return;
    }
    let download: ConsoleDownload;
    try {
      download = await this.actions.openOwnFile(admitted.organization.id, admitted.viewer.userId, idOf(id));
    } catch (error) {
      return this.refused(request, reply, admitted, error);
    }
    await reply
      .headers({
        ...consoleHeaders(),
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': attachmentDisposition(download.name),
        'Content-Length': String(download.sizeBytes),
        'X-Content-Type-Options': 'nosniff',
      })
      .send(download.content);
  }

  private async refused(request: FastifyRequest, reply: FastifyReply, admitted: Admitted, error: unknown): Promise<void> {
    if (!(error instanceof DomainError)) {
      throw error;
    }
    const unavailable = error.code === DomainErrorCode.StorageUnavailable;
    const [heading, status] = unavailable ? ['Temporarily unavailable', 503] : ['Not found', 404];
    const message = unavailable ? error.message : 'There is no such item in your history.';
    await this.renderer.page(
      request,
      reply,
      'error',
      { title: heading, organizationName: admitted.organization.name, viewer: admitted.viewer, heading, message },
      status,
    );
  }
}

function idOf(value: string): number {
  if (!ID.test(value)) {
    throw new DomainError(DomainErrorCode.NotFound, 'Not found.');
  }
  return Number(value);
}
