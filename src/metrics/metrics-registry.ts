import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The service's one Prometheus registry: every module registers its metrics here, and
 * `GET /metrics` serves it. A class token, so consumers inject it without string tokens.
 */
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}
