// The CLI tests run the built command (bin/webcnn.js → dist/cli.js). Built once per vitest run,
// in the global set-up, before any test file starts: a blocking build inside a test worker
// stalls vitest's worker RPC, and two files building at once would race on dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Runs `npm run build` when dist/ is missing or older than its sources. */
export function buildIfStale(): void {
  const outputs = ['dist/cli.js', 'dist/index.js'].map((p) => join(root, p));
  const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : -Infinity;
  const inputs = ['src', 'shaders', 'weights', 'vite.lib.config.ts', 'package.json'].map((p) => newestMtime(join(root, p)));
  if (Math.max(...inputs) <= built) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
