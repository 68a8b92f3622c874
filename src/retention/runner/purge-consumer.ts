import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';

/**
 * The consumer side of the purge queue, in processes that run purges: the in-process executor
 * or a BullMQ worker, both calling PurgeHandler.run. Starts once the application is up and
 * stops before the database closes, handing unfinished purges back.
 */
export abstract class PurgeConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  abstract onApplicationBootstrap(): Promise<void>;
  abstract beforeApplicationShutdown(): Promise<void>;
}
