import { HttpException } from '@nestjs/common';

const PROBLEM_KINDS = ['invalidSyntax', 'invalidValue', 'invalidFilter', 'invalidPath', 'noTarget', 'uniqueness', 'mutability'] as const;

/**
 * What kind of mistake a refused request made, for clients that act on it: a body that does not
 * parse, a value out of range, a filter or path that cannot be evaluated, a target that does not
 * exist, a value already taken, an attribute that cannot change. Each error format decides how (and
 * whether) to show it.
 */
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

const KNOWN_KINDS: ReadonlySet<string> = new Set(PROBLEM_KINDS);

export function isProblemKind(value: unknown): value is ProblemKind {
  return typeof value === 'string' && KNOWN_KINDS.has(value);
}

/** An HTTP error the client caused (or a deliberate refusal), with an optional machine-readable kind. */
export class RequestProblem extends HttpException {
  constructor(
    status: number,
    detail: string,
    readonly kind?: ProblemKind,
  ) {
    super(detail, status);
  }
}
