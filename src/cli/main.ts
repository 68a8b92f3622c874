import 'reflect-metadata';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { readAdminClientEnvironment } from '../config/admin-client-environment';
import { describeStartupFailure } from '../startup-failure';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error';
import { parseAdminRequest, sendAdminRequest } from './commands/admin-request.command';
import { BOOTSTRAP_OPTIONS, parseBootstrapInput, runBootstrap } from './commands/bootstrap.command';
import { GRANT_ADMIN_OPTIONS, parseGrantAdminInput, runGrantAdmin } from './commands/grant-admin.command';

const USAGE = `Usage:
  npm run -s cli -- bootstrap --org-name NAME --hostname HOST --admin-email EMAIL
                              [--admin-given-name NAME] [--admin-family-name NAME]
      Creates an organization, its first administrator and their first API key; prints JSON.

  npm run -s cli -- grant-admin --hostname HOST --email EMAIL [--given-name NAME] [--family-name NAME]
      Recovery: makes the user with EMAIL an administrator (creating them if needed) and prints
      a new API key for them.

  npm run -s cli -- admin METHOD PATH [--data JSON]
      Sends a signed admin API request and prints the response body. Reads ADMIN_API_URL
      (default http://localhost:3000), ADMIN_API_KEY and ADMIN_API_SECRET.

bootstrap and grant-admin read the service's settings (DATABASE_URL, DATA_DIR, ...).`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'bootstrap': {
      const input = parseBootstrapInput(parseOptions(rest, BOOTSTRAP_OPTIONS));
      await withContext((app) => runBootstrap(app, input));
      return;
    }
    case 'grant-admin': {
      const input = parseGrantAdminInput(parseOptions(rest, GRANT_ADMIN_OPTIONS));
      await withContext((app) => runGrantAdmin(app, input));
      return;
    }
    case 'admin': {
      const request = parseAdminRequest(rest);
      const response = await sendAdminRequest(readAdminClientEnvironment(), request);
      process.stdout.write(response.body ? `${response.body}\n` : '');
      if (response.status >= 400) {
        throw new CliError(`HTTP ${response.status}`);
      }
      return;
    }
    default:
      throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, EXIT_USAGE);
  }
}

async function withContext(run: (app: INestApplicationContext) => Promise<object>): Promise<void> {
  // Loaded only by the commands that need the database, so `admin` starts fast.
  const [{ NestFactory }, { CliModule }] = await Promise.all([import('@nestjs/core'), import('./cli.module.js')]);
  const app = await NestFactory.createApplicationContext(CliModule, { logger: false, abortOnError: false });
  try {
    process.stdout.write(`${JSON.stringify(await run(app))}\n`);
  } catch (error) {
    if (error instanceof DomainError) {
      throw new CliError(`${error.message} Nothing was written.`);
    }
    throw error;
  } finally {
    await app.close();
  }
}

function parseOptions(args: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, string | undefined> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
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
