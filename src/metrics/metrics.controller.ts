import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../common/public-route';
import { MetricsRegistry } from './metrics-registry';

/** Prometheus scrape endpoint. Public like the health checks: counts and timings only, nothing per user. */
@ApiExcludeController()
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  async scrape(@Res() res: FastifyReply): Promise<void> {
    const body = await this.registry.metrics();
    await res.type(this.registry.contentType).send(body);
  }
}
