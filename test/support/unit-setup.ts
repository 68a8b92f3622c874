import { inspect } from 'node:util';
import { Logger, LoggerService } from '@nestjs/common';
import { beforeEach } from 'vitest';

// Services under unit test log through Nest's static Logger, which would print every line of
// every test. The lines are kept per test and shown only when that test fails.
let lines: string[] = [];

function keep(level: string) {
  return (message: unknown, ...params: unknown[]): void => {
    const context = typeof params[params.length - 1] === 'string' ? ` [${String(params[params.length - 1])}]` : '';
    const text = typeof message === 'string' ? message : inspect(message, { depth: 4, breakLength: Infinity });
    lines.push(`${level}${context} ${text}`);
  };
}

const bufferingLogger: LoggerService = {
  log: keep('INFO'),
  error: keep('ERROR'),
  warn: keep('WARN'),
  debug: keep('DEBUG'),
  verbose: keep('TRACE'),
  fatal: keep('FATAL'),
};
Logger.overrideLogger(bufferingLogger);

beforeEach(({ onTestFailed }) => {
  lines = [];
  onTestFailed(() => {
    if (lines.length > 0) {
      process.stderr.write(`Log of the failed test:\n${lines.join('\n')}\n`);
    }
  });
});
