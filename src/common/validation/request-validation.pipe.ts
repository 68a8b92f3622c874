import { ArgumentMetadata, BadRequestException, Injectable, ValidationPipe } from '@nestjs/common';
import { describeValidationErrors } from './validation-messages';

/**
 * The global ValidationPipe for DTO-typed bodies and queries: unknown properties dropped, values
 * converted, and one message per invalid property (see describeValidationErrors).
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, transform: true, exceptionFactory: (errors) => new BadRequestException(describeValidationErrors(errors)) });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Otherwise an array or a scalar is validated as an empty object: "x is required" for every
    // property. No body at all (undefined) is that empty object.
    if (metadata.type === 'body' && value !== undefined && this.toValidate(metadata) && !isJsonObject(value)) {
      throw new BadRequestException(
        `The request body must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}.`,
      );
    }
    return super.transform(value, metadata);
  }
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
