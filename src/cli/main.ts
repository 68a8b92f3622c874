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
import {
  parseRotateEncryptionKeyInput,
  ROTATE_ENCRYPTION_KEY_OPTIONS,
  runRotateEncryptionKey,
} from './commands/rotate-encryption-key.command';
import { parseSealLegacyHistoryInput, runSealLegacyHistory, SEAL_LEGACY_HISTORY_OPTIONS } from './commands/seal-legacy-history.command';
import { parseSignInLinkInput, runSignInLink, SIGN_IN_LINK_OPTIONS } from './commands/sign-in-link.command';

const COMMAND_USAGE = {
  bootstrap: `  npm run -s cli -- bootstrap --org-name NAME --hostname HOST --admin-email EMAIL
                              [--admin-given-name NAME] [--admin-family-name NAME]
      Creates an organization, its first administrator and their first API key; prints JSON.`,
  'grant-admin': `  npm run -s cli -- grant-admin --hostname HOST --email EMAIL [--given-name NAME] [--family-name NAME]
      Recovery: makes the user with EMAIL an administrator (creating them if needed) and prints
      a new API key for them.`,
  'sign-in-link': `  npm run -s cli -- sign-in-link --hostname HOST --email EMAIL
      Prints (JSON, field url) a one-time link that opens a web console session for the active
      administrator EMAIL of the organization at HOST: valid 10 minutes, usable once, audited.
      The first way into the console before single sign-on is set up, and the recovery path when it
      breaks; send it to the administrator over a channel you trust. See docs/console.md.`,
  admin: `  npm run -s cli -- admin METHOD PATH [--data JSON]
      Sends a signed admin API request and prints the response body (exit 1 on an HTTP error).
      METHOD: GET, POST, PUT, PATCH or DELETE; PATH with its query, e.g. /admin/v1/api-keys;
      --data JSON: the request body.
      Reads ADMIN_API_URL (default http://localhost:3000), ADMIN_API_KEY and ADMIN_API_SECRET.
      e.g. npm run -s cli -- admin POST /admin/v1/api-keys --data '{"description":"Okta"}'`,
  'rotate-encryption-key': `  npm run -s cli -- rotate-encryption-key [--batch-size N] [--pause-ms MS]
      After ENCRYPTION_KEY was replaced (the old key in ENCRYPTION_KEYS_PREVIOUS): re-wraps every
      user's data key and re-encrypts every API key secret under the current key, N per
      transaction (default 500), pausing MS between batches (default 0). Safe to interrupt and run
      again. Progress on stderr, a JSON report on stdout; see docs/encryption.md.`,
  'seal-legacy-history': `  npm run -s cli -- seal-legacy-history [--batch-size N]
      Once after upgrading to encrypted history: seals the messages and file names written before
      under their owner's data key and re-encrypts those files' bytes (checked against their
      recorded SHA-256). Rows of deactivated users are left to their purge. Safe to interrupt and
      run again, while the service serves. Progress on stderr, a JSON report on stdout.`,
} as const;

type Command = keyof typeof COMMAND_USAGE;

const USAGE = `Usage:
${Object.values(COMMAND_USAGE).join('\n\n')}

  npm run -s cli -- COMMAND --help    prints that command's usage.

bootstrap, grant-admin, sign-in-link, rotate-encryption-key and seal-legacy-history read the service's settings (DATABASE_URL, ENCRYPTION_KEY, DATA_DIR, ...).`;

const HELP_FLAGS = ['--help', '-h'];

function isCommand(name: string | undefined): name is Command {
  return name !== undefined && Object.hasOwn(COMMAND_USAGE, name);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    throw new CliError(`No command given.\n\n${USAGE}`, EXIT_USAGE);
  }
  if (command === 'help' || HELP_FLAGS.includes(command)) {
    const [topic] = rest;
    process.stdout.write(`${isCommand(topic) ? `Usage:\n${COMMAND_USAGE[topic]}` : USAGE}\n`);
    return;
  }
  if (!isCommand(command)) {
    throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, EXIT_USAGE);
  }
  // Options end at "--", so only a help flag before it asks for help.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.some((arg) => HELP_FLAGS.includes(arg))) {
    process.stdout.write(`Usage:\n${COMMAND_USAGE[command]}\n`);
    return;
  }
  switch (command) {
    case 'bootstrap': {
      const input = parseBootstrapInput(parseOptions(command, rest, BOOTSTRAP_OPTIONS));
      await withContext((app) => runBootstrap(app, input));
      return;
    }
    case 'grant-admin': {
      const input = parseGrantAdminInput(parseOptions(command, rest, GRANT_ADMIN_OPTIONS));
      await withContext((app) => runGrantAdmin(app, input));
      return;
    }
    case 'sign-in-link': {
      const input = parseSignInLinkInput(parseOptions(command, rest, SIGN_IN_LINK_OPTIONS));
      await withContext((app) => runSignInLink(app, input));
      return;
    }
    case 'rotate-encryption-key': {
      const input = parseRotateEncryptionKeyInput(parseOptions(command, rest, ROTATE_ENCRYPTION_KEY_OPTIONS));
      await withContext((app) => runRotateEncryptionKey(app, input));
      return;
    }
    case 'seal-legacy-history': {
      const input = parseSealLegacyHistoryInput(parseOptions(command, rest, SEAL_LEGACY_HISTORY_OPTIONS));
      await withContext((app) => runSealLegacyHistory(app, input));
      return;
    }
    case 'admin': {
      const request = withUsage(command, () => parseAdminRequest(rest));
      const response = await sendAdminRequest(readAdminClientEnvironment(), request);
      process.stdout.write(response.body ? `${response.body}\n` : '');
      if (response.status >= 400) {
        throw new CliError(`HTTP ${response.status}`);
      }
      return;
    }
  }
}

async function withContext(run: (app: INestApplicationContext) => Promise<object>): Promise<void> {
  // Loaded only by the commands that need the database, so `admin` starts fast.
  // One after the other: the module graph requires @nestjs/core itself, which Node refuses while an
  // import() of the same package is still loading.
  const { NestFactory } = await import('@nestjs/core');
  const { CliModule } = await import('./cli.module.js');
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

function parseOptions(
  command: Command,
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): Record<string, string | undefined> {
  return withUsage(
    command,
    () => parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>,
  );
}

/** node:util's parseArgs throws a TypeError for an unknown option or a missing value: a usage error. */
function withUsage<T>(command: Command, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CliError) {
      throw error;
    }
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\nUsage:\n${COMMAND_USAGE[command]}`, EXIT_USAGE);
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
