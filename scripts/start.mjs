// `npm start`: runs the service from its build (dist/), which `npm ci` and `npm run build` make.
// A missing or stale build is refused with the command to run, rather than started and left to
// fail later, or to serve code that no longer matches src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/src/main.js');
// What the build is made from (tsconfig.build.json): sources, plus the compiler settings.
const buildInputs = ['src', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json'];

function refuse(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function newestInput(path) {
  if (!existsSync(path)) {
    return null;
  }
  const stats = statSync(path);
  if (!stats.isDirectory()) {
    return path.endsWith('.spec.ts') ? null : { path, mtimeMs: stats.mtimeMs };
  }
  let newest = null;
  for (const name of readdirSync(path)) {
    const candidate = newestInput(join(path, name));
    if (candidate && (!newest || candidate.mtimeMs > newest.mtimeMs)) {
      newest = candidate;
    }
  }
  return newest;
}

if (!existsSync(entry)) {
  refuse(
    'Cannot start: the service is not built (dist/src/main.js is missing). Run "npm run build" (npm ci also builds), then "npm start".',
  );
}
const builtAt = statSync(entry).mtimeMs;
const changed = buildInputs
  .map((input) => newestInput(join(root, input)))
  .filter((input) => input !== null && input.mtimeMs > builtAt)
  .sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
if (changed) {
  refuse(
    `Cannot start: the build in dist/ is older than ${relative(root, changed.path)}. Run "npm run build", then "npm start" ` +
      '(or "npm run start:dev" to rebuild and restart on every change).',
  );
}

await import(pathToFileURL(entry).href);
