import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Settings } from '../config/settings';
import { buildPinoHttpParams } from './logger-options';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Settings],
      useFactory: (settings: Settings) => ({ pinoHttp: buildPinoHttpParams(settings) }),
    }),
  ],
})
export class LoggingModule {}
