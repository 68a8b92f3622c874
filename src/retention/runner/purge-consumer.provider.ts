import { Provider } from '@nestjs/common';
import { Settings } from '../../config/settings';
import { InProcessPurgeChannel } from '../queue/in-process-purge-channel';
import { InProcessPurgeExecutor } from './in-process-purge-executor';
import { PurgeConsumer } from './purge-consumer';
import { PurgeHandler } from './purge-handler';

/**
 * Processes with the api role consume nothing (null). Others consume the driver the settings
 * choose; the BullMQ worker is imported only when REDIS_URL is set.
 */
export const purgeConsumerProvider: Provider = {
  provide: PurgeConsumer,
  inject: [Settings, InProcessPurgeChannel, PurgeHandler],
  useFactory: async (settings: Settings, channel: InProcessPurgeChannel, handler: PurgeHandler): Promise<PurgeConsumer | null> => {
    if (!settings.runsPurges) {
      return null;
    }
    if (settings.redis) {
      const { BullmqPurgeWorker } = await import('./bullmq-purge-worker.js');
      return new BullmqPurgeWorker(settings.redis, handler, settings.purge.concurrency);
    }
    return new InProcessPurgeExecutor(channel, handler, settings.purge.concurrency);
  },
};
