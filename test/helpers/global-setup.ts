// Once per vitest run: clears the per-file GPU counts before, and prints their total after.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { buildIfStale } from './build.js';

export const COUNTS_FILE = 'test-results/gpu-counts.jsonl';

export function setup(): () => void {
  rmSync(COUNTS_FILE, { force: true });
  buildIfStale();
  return () => {
    if (!existsSync(COUNTS_FILE)) return;
    let gpuTests = 0;
    let comparisons = 0;
    for (const line of readFileSync(COUNTS_FILE, 'utf8').trim().split('\n')) {
      const c = JSON.parse(line) as { gpuTests: number; comparisons: number };
      gpuTests += c.gpuTests;
      comparisons += c.comparisons;
    }
    console.log(`\nWebGPU: ${gpuTests} tests ran on the GPU inside error scopes, with ${comparisons} GPU-vs-CPU-reference comparisons through compareWithCpu.`);
  };
}
