import { Provider } from '@nestjs/common';
import { Settings } from '../../config/settings';
import { InProcessPurgeChannel } from './in-process-purge-channel';
import { InProcessPurgeQueue } from './in-process-purge-queue';
import { PurgeQueue } from './purge-queue';

/**
 * Chosen when the container is built, from the validated settings: BullMQ when REDIS_URL is set,
 * in-process otherwise. The BullMQ driver is imported only then, so an in-process deployment
 * never loads BullMQ or opens a Redis connection for the queue.
 */
export const purgeQueueProvider: Provider = {
  provide: PurgeQueue,
  inject: [Settings, InProcessPurgeChannel],
  useFactory: async (settings: Settings, channel: InProcessPurgeChannel): Promise<PurgeQueue> => {
    if (settings.redis) {
      const { BullmqPurgeQueue } = await import('./bullmq-purge-queue.js');
      return new BullmqPurgeQueue(settings.redis);
    }
    return new InProcessPurgeQueue(channel);
  },
};
