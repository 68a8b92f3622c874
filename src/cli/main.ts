import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { describeStartupFailure } from '../startup-failure';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error';
import { CliModule } from './cli.module';
import { BOOTSTRAP_OPTIONS, parseBootstrapInput, runBootstrap } from './commands/bootstrap.command';

const USAGE = `Usage:
  npm run cli -- bootstrap --org-name NAME --hostname HOST --admin-email EMAIL
                           [--admin-given-name NAME] [--admin-family-name NAME]

Creates an organization and its first administrator; prints them as JSON on stdout.
Settings (DATABASE_URL, DATA_DIR, ...) are read as by the service.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command !== 'bootstrap') {
    throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, EXIT_USAGE);
  }
  const input = parseBootstrapInput(parseCommandArgs(rest));
  const app = await NestFactory.createApplicationContext(CliModule, { logger: false, abortOnError: false });
  try {
    const result = await runBootstrap(app, input);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
}

function parseCommandArgs(args: string[]): Record<string, string | undefined> {
  try {
    return parseArgs({ args, options: BOOTSTRAP_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT_USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`Failed: ${describeStartupFailure(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
