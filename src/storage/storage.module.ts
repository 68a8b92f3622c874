import { Module } from '@nestjs/common';
import { Settings } from '../config/settings';
import { BlobStorage } from './blob-storage';
import { LocalDiskBlobStorage } from './local-disk-blob-storage';

@Module({
  providers: [
    {
      provide: BlobStorage,
      inject: [Settings],
      useFactory: (settings: Settings): BlobStorage => new LocalDiskBlobStorage(settings.fileStorage.directory),
    },
  ],
  exports: [BlobStorage],
})
export class StorageModule {}
