import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { notFound } from '../common/domain-error';
import { ConsoleRoute } from './console-pages.controller';

const ASSETS: Readonly<Record<string, string>> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};

/** The console's own stylesheet and script, served by the service itself (no CDN, no external fonts). */
@ApiExcludeController()
@ConsoleRoute()
@Controller('console/assets')
export class ConsoleAssetsController {
  private readonly contents = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(__dirname, 'assets', name))]));

  @Get(':name')
  asset(@Param('name') name: string, @Res() reply: FastifyReply): void {
    const content = Object.hasOwn(ASSETS, name) ? this.contents.get(name) : undefined;
    if (!content) {
      throw notFound('Asset');
    }
    void reply.header('Cache-Control', 'public, max-age=300').type(ASSETS[name]).send(content);
  }
}
