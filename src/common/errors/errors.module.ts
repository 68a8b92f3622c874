import { Global, Module } from '@nestjs/common';
import { ErrorFormats } from './error-formats';

/** Global so that any feature can register the error format of its paths. */
@Global()
@Module({ providers: [ErrorFormats], exports: [ErrorFormats] })
export class ErrorsModule {}
