import { parseArgs } from 'node:util';
import { sha256Hex, signatureHeaders, signatureTimestamp } from '../../auth/request-signature';
import { AdminClientEnvironment } from '../../config/admin-client-environment';
import { CliError, EXIT_USAGE } from '../cli-error';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export type AdminRequest = { method: (typeof METHODS)[number]; pathWithQuery: string; body: string };

export function parseAdminRequest(args: string[]): AdminRequest {
  const { values, positionals } = parseArgs({ args, options: { data: { type: 'string' } }, allowPositionals: true, strict: true });
  const [method, path] = positionals;
  const upper = method?.toUpperCase();
  if (!upper || !METHODS.includes(upper as AdminRequest['method']) || !path || positionals.length > 2) {
    throw new CliError('Usage: npm run cli -- admin METHOD PATH [--data JSON]   (METHOD: GET, POST, PUT, PATCH or DELETE)', EXIT_USAGE);
  }
  if (!path.startsWith('/')) {
    throw new CliError('PATH must start with /, e.g. /admin/v1/api-keys', EXIT_USAGE);
  }
  if (values.data !== undefined) {
    try {
      JSON.parse(values.data);
    } catch {
      throw new CliError('--data must be valid JSON', EXIT_USAGE);
    }
  }
  return { method: upper as AdminRequest['method'], pathWithQuery: path, body: values.data ?? '' };
}

export type AdminResponse = { status: number; body: string };

/** Sends one signed admin API request (scheme v2, a fresh nonce), exactly as the signing scheme specifies. */
export async function sendAdminRequest(env: AdminClientEnvironment, request: AdminRequest, now = new Date()): Promise<AdminResponse> {
  const headers: Record<string, string> = {
    ...signatureHeaders(
      { key: env.ADMIN_API_KEY, secret: env.ADMIN_API_SECRET },
      { method: request.method, pathWithQuery: request.pathWithQuery, bodySha256: sha256Hex(request.body) },
      { timestamp: signatureTimestamp(now) },
    ),
    accept: 'application/json',
  };
  if (request.body) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${env.ADMIN_API_URL}${request.pathWithQuery}`, {
    method: request.method,
    headers,
    body: request.body || undefined,
  });
  return { status: response.status, body: await response.text() };
}
