import { Global, Module } from '@nestjs/common';
import { AuthFailureMetrics } from './auth-failure.metrics';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsRegistry } from './metrics-registry';
import { MetricsController } from './metrics.controller';

/** Global so any module can add its metrics to the one registry. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics, DatabasePoolMetrics, AuthFailureMetrics],
  exports: [MetricsRegistry, AuthFailureMetrics, HttpMetrics],
})
export class MetricsModule {}
