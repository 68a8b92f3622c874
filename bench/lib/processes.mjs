// Child processes of the bench: started with explicit environments, logged to files, tracked so
// that every one of them is stopped (SIGTERM, then SIGKILL) whatever happens.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from './http.mjs';

const running = new Set();

/** Stops every child still running, synchronously (for exit handlers). */
export function killAllNow() {
  for (const entry of running) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <args>` with exactly `env` (plus PATH/HOME), stdout and stderr appended to logFile.
 * Returns { pid, startedAt, exited (promise of {code, signal}), stop(), logTail() }.
 */
export function startNode(name, args, { env, cwd, logFile, nodeOptions = [] }) {
  const fd = openSync(logFile, 'a');
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const entry = { pid: child.pid, name };
  running.add(entry);
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(entry);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (error) => {
      running.delete(entry);
      exitInfo = { code: null, signal: null, error };
      resolve(exitInfo);
    });
  });
  return {
    name,
    pid: child.pid,
    startedAt,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    logFile,
    logTail: (lines = 30) => tail(logFile, lines),
    /** SIGTERM, wait up to graceMs, then SIGKILL. Resolves the exit info. */
    async stop(graceMs = 15_000) {
      if (exitInfo) {
        return exitInfo;
      }
      child.kill('SIGTERM');
      const outcome = await Promise.race([exited, sleep(graceMs).then(() => null)]);
      if (outcome) {
        return outcome;
      }
      child.kill('SIGKILL');
      const killed = await exited;
      return { ...killed, forced: true };
    },
  };
}

/** Whether a stop() outcome was a graceful shutdown (Nest re-raises the signal after closing the app). */
export function exitedCleanly(exit) {
  return !exit.forced && (exit.code === 0 || exit.signal === 'SIGTERM');
}

/** The JSON log lines at level error or fatal (pino levels 50, 60), summarized: { count, examples }. */
export function loggedErrors(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { count: 0, examples: [] };
  }
  const distinct = new Map();
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) {
      continue;
    }
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.level >= 50) {
      count += 1;
      const key = `${entry.context ?? ''}: ${entry.msg ?? ''}${entry.reason ? ` (${entry.reason})` : ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
      distinct.set(key, (distinct.get(key) ?? 0) + 1);
    }
  }
  return { count, examples: [...distinct.entries()].slice(0, 5).map(([message, times]) => `${times}× ${message}`) };
}

export function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls `url` until it answers 200; fails early when the process exits. Resolves ms since the process started. */
export async function waitForReady(proc, url, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitInfo) {
      throw new Error(`${proc.name} exited during start-up (${JSON.stringify(proc.exitInfo)}):\n${proc.logTail()}`);
    }
    try {
      const response = await httpRequest(url, { timeoutMs: 2000, keepAlive: false });
      if (response.status === 200) {
        return performance.now() - proc.startedAt;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${proc.logTail()}`);
    }
    await sleep(10);
  }
}

let clockTicks = null;

/** CPU time (user + system) a process has used so far, in ms (Linux /proc), or null when unknown. */
export function cpuTimeOf(pid) {
  try {
    if (clockTicks === null) {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes (Linux /proc), or null when unknown. */
export function rssOf(pid) {
  return memoryOf(pid)?.rss ?? null;
}

/** { rss, anon, file, shmem } in bytes from /proc/<pid>/status: anonymous (heaps) vs file-backed and shared (mmap) pages. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => {
      const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : null;
    };
    const rss = field('VmRSS');
    return rss === null ? null : { rss, anon: field('RssAnon'), file: field('RssFile'), shmem: field('RssShmem') };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every intervalMs; stop() returns { peak, last, samples, peakAnon, peakFile, peakShmem }. */
export function sampleRss(pid, intervalMs = 50) {
  const first = memoryOf(pid);
  let peak = first?.rss ?? 0;
  let last = peak;
  let samples = 1;
  const peaks = { anon: first?.anon ?? 0, file: first?.file ?? 0, shmem: first?.shmem ?? 0 };
  const timer = setInterval(() => {
    const memory = memoryOf(pid);
    if (memory !== null) {
      last = memory.rss;
      peak = Math.max(peak, memory.rss);
      for (const key of Object.keys(peaks)) {
        peaks[key] = Math.max(peaks[key], memory[key] ?? 0);
      }
      samples += 1;
    }
  }, intervalMs);
  const result = () => ({ peak, last, samples, peakAnon: peaks.anon, peakFile: peaks.file, peakShmem: peaks.shmem });
  return {
    current: result,
    stop() {
      clearInterval(timer);
      return result();
    },
  };
}

/** Runs `node <args>` to completion; resolves { code, stdout, stderr }. */
export function runNode(args, { env, cwd, timeoutMs = 60_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry = { pid: child.pid, name: args.join(' ') };
    running.add(entry);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(entry);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(entry);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
