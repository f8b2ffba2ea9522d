#!/usr/bin/env node
// `npm run build:wasm`: compiles the WebAssembly kernels (wasm/*.ts, AssemblyScript) into
// src/backends/wasm/: kernels.wasm (one thread, an ordinary memory) and kernels-threads.wasm
// (a shared memory, for workers). Both import their memory, use SIMD128 and allocate nothing.
// Skipped when both are newer than every source file (`--force` rebuilds). Run by the set-up
// behind npm start, npm test and npm run bench, and by npm run build.
import { existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'wasm');
const out = join(root, 'src', 'backends', 'wasm');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');

const common = ['wasm/index.ts', '-O3', '--runtime', 'stub', '--noAssert', '--use', 'abort=', '--importMemory', '--initialMemory', '32', '--maximumMemory', '65536',
  // AS112: helpers of wasm/math.ts take and return v128; they are exported to other kernel files, not from the module.
  '--disableWarning', '112'];
const targets = [
  { file: 'kernels.wasm', flags: ['--enable', 'simd'] },
  { file: 'kernels-threads.wasm', flags: ['--enable', 'simd,threads', '--sharedMemory'] },
];

const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
const force = process.argv.includes('--force');
mkdirSync(out, { recursive: true });
for (const { file, flags } of targets) {
  const target = join(out, file);
  if (!force && existsSync(target) && statSync(target).mtimeMs > newest) continue;
  const r = spawnSync(process.execPath, [asc, ...common, ...flags, '-o', target], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-wasm: asc failed for ${file}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${file} (${statSync(target).size} bytes)`);
}
