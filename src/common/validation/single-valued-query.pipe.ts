import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { RequestProblem } from '../errors/request-problem';

/**
 * A repeated query parameter (`?name=a&name=b`) reaches a handler as an array where every route
 * expects one string. No route takes a parameter twice, so it is refused here for every
 * `@Query()` of every route, after authentication (pipes run after guards).
 */
@Injectable()
export class SingleValuedQueryPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'query') {
      return value;
    }
    if (metadata.data !== undefined) {
      assertSingle(metadata.data, value);
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, parameter] of Object.entries(value)) {
        assertSingle(name, parameter);
      }
    }
    return value;
  }
}

function assertSingle(name: string, value: unknown): void {
  if (Array.isArray(value)) {
    const shown = name.length > 40 ? `${name.slice(0, 37)}...` : name;
    throw new RequestProblem(
      400,
      `The query parameter ${JSON.stringify(shown)} is given ${value.length} times; give it once.`,
      'invalidValue',
    );
  }
}
