// Runs in every test file: after the file, appends how many GPU tests and GPU-vs-CPU
// comparisons it ran, for the run-wide total printed by global-setup.ts.
import { afterAll } from 'vitest';
import { appendFileSync, mkdirSync } from 'node:fs';
import { counts } from './gpu.js';
import { COUNTS_FILE } from './global-setup.js';

afterAll(() => {
  if (counts.gpuTests === 0) return;
  mkdirSync('test-results', { recursive: true });
  appendFileSync(COUNTS_FILE, `${JSON.stringify(counts)}\n`);
});
