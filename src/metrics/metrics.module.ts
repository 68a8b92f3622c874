import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AuthFailureMetrics } from './auth-failure.metrics';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { HttpMetrics, HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics-registry';

/** Global so any module can add its metrics to the one registry. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics, DatabasePoolMetrics, AuthFailureMetrics],
  exports: [MetricsRegistry, AuthFailureMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
