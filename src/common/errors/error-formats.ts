import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { ProblemKind } from './request-problem';

/** An error as every format sees it, whoever raised it. */
export type Problem = {
  status: number;
  /** The service's own short code (`not_found`, `user_name_taken`). */
  code: string;
  detail: string;
  kind?: ProblemKind;
  requestId?: string;
  /** Headers the exception asks for (such as an admin 401's challenge); a format may answer with its own. */
  exceptionHeaders: Readonly<Record<string, string>>;
};

export type RenderedError = { contentType: string; headers: Record<string, string>; body: string };

/** One wire format of errors, for the paths it claims. */
export interface ErrorFormat {
  readonly name: string;
  matches(path: string): boolean;
  render(problem: Problem): RenderedError;
}

/** The admin API's shape, and the answer on any path no registered format claims. */
export const DEFAULT_ERROR_FORMAT: ErrorFormat = {
  name: 'default',
  matches: () => true,
  render: ({ status, code, detail, requestId, exceptionHeaders }) => ({
    contentType: 'application/json; charset=utf-8',
    headers: { ...exceptionHeaders },
    body: JSON.stringify({ statusCode: status, error: code, message: detail, requestId }),
  }),
};

/**
 * The error formats of the application: a feature whose paths answer errors in their own shape
 * registers it at start-up, so infrastructure renders it without importing the feature.
 */
@Injectable()
export class ErrorFormats {
  private readonly formats: ErrorFormat[] = [];

  register(format: ErrorFormat): void {
    if (this.formats.some(({ name }) => name === format.name)) {
      throw new Error(`The error format "${format.name}" is registered twice.`);
    }
    this.formats.push(format);
  }

  /** The first registered format claiming `path`, else the default one. */
  formatFor(path: string): ErrorFormat {
    return this.formats.find((format) => format.matches(path)) ?? DEFAULT_ERROR_FORMAT;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    errorFormats?: ErrorFormats;
  }
}

/**
 * Node's and Fastify's early errors are answered outside Nest: they find the application's
 * formats on the Fastify instance (child contexts inherit decorations).
 */
export function attachErrorFormats(fastify: FastifyInstance, formats: ErrorFormats): void {
  fastify.decorate('errorFormats', formats);
}

/** Before configureApp attaches them (or without an application), only the default format: nothing shared to register on. */
export function errorFormatsOf(fastify: FastifyInstance | undefined): ErrorFormats {
  return fastify?.errorFormats ?? new ErrorFormats();
}
