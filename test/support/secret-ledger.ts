import { existsSync, readFileSync } from 'node:fs';

/** Every secret a test saw; the e2e setup checks that none of them reached the service's log. */
const secrets = new Set<string>();

export function rememberSecret(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    if (value) {
      secrets.add(value);
    }
  }
}

/** Authorization values in any form, and signatures, must never be logged either. */
const FORBIDDEN_PATTERNS = [
  /Basic [A-Za-z0-9+/]{8,}={0,2}/,
  /"ss-request-signature":"[0-9a-f]{64}"/i,
  /"authorization":"(?!\[REDACTED\])/i,
];

export function leakedSecretsIn(logFile: string): string[] {
  if (!existsSync(logFile)) {
    return [];
  }
  const log = readFileSync(logFile, 'utf8');
  const leaks = [...secrets].filter((secret) => log.includes(secret)).map((secret) => `secret ${secret.slice(0, 4)}…`);
  for (const pattern of FORBIDDEN_PATTERNS) {
    const match = pattern.exec(log);
    if (match) {
      leaks.push(`pattern ${pattern.source}: ${match[0].slice(0, 40)}`);
    }
  }
  return leaks;
}

export function rememberedSecretCount(): number {
  return secrets.size;
}
