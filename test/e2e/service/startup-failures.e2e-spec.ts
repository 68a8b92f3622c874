import { createServer, Server, Socket } from 'node:net';
import { createServer as createMysqlProtocolServer } from 'mysql2';
import { afterEach, describe, expect, it } from 'vitest';
import { e2eDatabase, mysqlServerUrl } from '../../support/e2e-target';
import { freePort, runNode, SERVER_ENTRY } from '../../support/processes';

const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const PASSWORD = 's3cret-pass';

type Listening = { port: number; connections: () => number; close: () => Promise<void> };

/** What a database host behind a dropping firewall looks like to the driver: a socket that never greets. */
async function blackHole(): Promise<Listening> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A MySQL-protocol server on loopback that greets and then refuses every login, as MySQL does (1045). */
async function refusingLogins(): Promise<Listening> {
  let connections = 0;
  const server = createMysqlProtocolServer((connection) => {
    connections += 1;
    connection.on('error', () => undefined);
    connection.serverHandshake({
      protocolVersion: 10,
      serverVersion: '8.0.40',
      connectionId: connections,
      statusFlags: 2,
      characterSet: 8,
      capabilityFlags: 0xffffff,
      authCallback: ({ user }: { user: string }, answer: (error: null, refusal: { code: number; message: string }) => void) =>
        answer(null, { code: 1045, message: `Access denied for user '${user}'@'127.0.0.1' (using password: YES)` }),
    });
  });
  const raw = (server as unknown as { _server: Server })._server;
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  return {
    port: (raw.address() as { port: number }).port,
    connections: () => connections,
    close: () => new Promise((resolve) => raw.close(() => resolve())),
  };
}

function startWithDatabase(url: string) {
  return freePort().then((port) => runNode(SERVER_ENTRY, [], { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url, ENCRYPTION_KEY }));
}

describe('start-up failures name the problem and the fix, fast', () => {
  let peer: Listening | undefined;

  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  it('a database host that does not answer fails after the connect timeout, without retries', async () => {
    peer = await blackHole();
    const result = await startWithDatabase(`mysql://scim:${PASSWORD}@127.0.0.1:${peer.port}/scim`);
    expect(result.code).toBe(1);
    // The default timeout is 3 s; the bound is loose for a busy machine, and far below the 18 s of three tries.
    expect(result.elapsedMs).toBeLessThan(8_000);
    expect(peer.connections()).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Start-up failed: cannot connect to the database: no answer within DATABASE_CONNECT_TIMEOUT_MS (ETIMEDOUT). ' +
        'Check the host and port in DATABASE_URL, and that no firewall drops traffic from this machine to them.',
    );
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('a refused login is one line in the same format, with the fix and without retries (also on the real server with E2E_DB=mysql)', async () => {
    peer = await refusingLogins();
    const result = await startWithDatabase(`mysql://scim:${PASSWORD}@127.0.0.1:${peer.port}/scim`);
    expect(result.code).toBe(1);
    expect(peer.connections()).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Start-up failed: cannot connect to the database: access denied for the user in DATABASE_URL (ER_ACCESS_DENIED_ERROR). ' +
        'Check the user name and password in DATABASE_URL (percent-encode special characters) and that the user may connect from this host.',
    );
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);

    if (e2eDatabase() === 'mysql') {
      // MariaDB refuses an unknown user with its own code (1698): the same line.
      const server = new URL(mysqlServerUrl);
      const real = await startWithDatabase(`mysql://scim_h4_nobody:${PASSWORD}@${server.hostname}:${server.port || 3306}/scim`);
      expect(real.code).toBe(1);
      expect(real.stderr.trim()).toMatch(
        /^Start-up failed: cannot connect to the database: access denied for the user in DATABASE_URL \(ER_ACCESS_DENIED(_NO_PASSWORD)?_ERROR\)\. Check the user name and password in DATABASE_URL[^\n]+$/,
      );
    }
  });

  it('a database still starting (connection refused) is retried, then named', async () => {
    const closedPort = await freePort();
    const result = await runNode(SERVER_ENTRY, [], {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: `mysql://scim:${PASSWORD}@127.0.0.1:${closedPort}/scim`,
      DATABASE_CONNECT_RETRIES: '2',
      ENCRYPTION_KEY,
    });
    expect(result.code).toBe(1);
    // Two retries 1 s apart: the service did wait for a server that might be starting.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(2_000);
    expect(result.stderr.trim()).toBe(
      'Start-up failed: cannot connect to the database: connection refused: nothing listens at the host and port of DATABASE_URL (ECONNREFUSED). ' +
        'Start the database server, or correct the host and port in DATABASE_URL.',
    );
  });

  it('a port already in use reads the same way', async () => {
    const holder = await blackHole();
    try {
      const result = await runNode(SERVER_ENTRY, [], { PORT: String(holder.port), HOST: '127.0.0.1' });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `Start-up failed: 127.0.0.1:${holder.port} is already in use (EADDRINUSE). Stop the process that holds it, or set PORT (or HOST) to another one.`,
      );
    } finally {
      await holder.close();
    }
  });
});
