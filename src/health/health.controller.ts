import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ApiExcludeController } from '@nestjs/swagger';
import { PublicRoute } from '../auth/auth-kind.decorator';
import { Settings } from '../config/settings';
import { StorageHealthIndicator } from './storage.health';
import { RedisHealthIndicator } from './redis.health';

@ApiExcludeController()
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly storage: StorageHealthIndicator,
    private readonly settings: Settings,
  ) {}

  /** The process is up and serving HTTP; no dependency is consulted. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers, and Redis and the S3 bucket too when they are configured. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const timeout = this.settings.healthCheckTimeoutMs;
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout })];
    if (this.settings.redis) {
      checks.push(() => this.redis.isReachable());
    }
    if (this.settings.fileStorage.s3) {
      checks.push(() => this.storage.isReachable());
    }
    return this.health.check(checks);
  }
}
