#!/usr/bin/env node
// The `webcnn` command: starts the built CLI, dist/cli.js. The sources import WGSL with Vite's
// `?raw` and are TypeScript, so Node cannot run src/ itself. In a source checkout without a
// build (a fresh clone after `npm install`), this builds once with `npm run build`, its output
// on stderr so that stdout stays the command's own. It does not rebuild a stale dist/: run
// `npm run build` after changing src/.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');

if (!existsSync(cli)) {
  if (!existsSync(join(root, 'src', 'cli', 'main.ts'))) {
    process.stderr.write(`webcnn: ${cli} is missing and there are no sources to build it from: reinstall webcnn.\n`);
    process.exit(1);
  }
  process.stderr.write('webcnn: no build yet (dist/cli.js); running `npm run build` once…\n');
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    shell: process.platform === 'win32',
  });
  if (build.error || build.status !== 0 || !existsSync(cli)) {
    const why = build.error ? build.error.message : `exit status ${build.status ?? build.signal}`;
    process.stderr.write(`webcnn: \`npm run build\` failed (${why}); run it in ${root} to see why.\n`);
    process.exit(1);
  }
}

await import(pathToFileURL(cli).href);
