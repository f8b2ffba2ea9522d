/**
 * Matmul timings across small-M dense layers and one big square product: ms per call (median
 * of 5 after a warm-up, each call ended with `backend.sync()`) and GFLOP/s, with the tiled
 * kernel forced (a gemv table whose entries have maxM 0) and with the kernel selectGemvTiling
 * picks from MATMUL_GEMV_TUNING, in one process so background load hits both alike.
 *
 *   npx vite-node bench/matmul-shapes.ts            # every shape
 *   npx vite-node bench/matmul-shapes.ts lenet      # shapes whose name contains a filter
 */
import { WebGpuBackend } from 'webcnn';
import type { GpuTensor } from '../src/backends/webgpu/gpu_tensor.js';
import { type MatmulTables, denseGpu, matmulGpu } from '../src/backends/webgpu/kernels/matmul.js';
import { MATMUL_TUNING, MATMUL_GEMV_TUNING, type GemvTiling, type TuningTable } from '../src/backends/webgpu/tuning.js';

interface Shape {
  name: string;
  M: number;
  K: number;
  N: number;
  /** dense: x (M, K) · w (N, K)ᵀ + bias; else matmul (M, K) · (K, N). */
  dense: boolean;
}

const DENSE: [string, number, number][] = [
  ['lenet 400->120', 400, 120],
  ['lenet 120->84', 120, 84],
  ['lenet 84->10', 84, 10],
  ['alexnet 9216->4096', 9216, 4096],
];
const SHAPES: Shape[] = [
  ...DENSE.flatMap(([name, K, N]) => [1, 4].map((M) => ({ name: `dense ${name} M=${M}`, M, K, N, dense: true }))),
  { name: 'matmul 256x256x256', M: 256, K: 256, N: 256, dense: false },
];

const RUNS = 5;

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number, digits = 1): string => v.toFixed(digits).padStart(9);

/** ms per call (median) and the pipelines the calls used. */
async function time(be: WebGpuBackend, s: Shape, x: GpuTensor, w: GpuTensor, b: GpuTensor, tables: MatmulTables, created: string[]): Promise<[number, string[]]> {
  created.length = 0;
  const call = async (): Promise<number> => {
    const t0 = performance.now();
    const y = s.dense ? denseGpu(be, x, w, b, 'relu', tables) : matmulGpu(be, x, w, b, { activation: 'relu' }, tables);
    await be.sync();
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  };
  await call(); // compile
  const pipelines = [...created];
  await call(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) times.push(await call());
  return [median(times), pipelines];
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const shapes = SHAPES.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  const created: string[] = [];
  const be = await WebGpuBackend.create({ debug: { dumpWgsl: (key) => created.push(key) } });
  console.log(`adapter: ${JSON.stringify(be.ctx.info)}`);
  console.log(`${'shape'.padEnd(32)} ${'tiled ms'.padStart(9)} ${'GFLOP/s'.padStart(9)} ${'after ms'.padStart(9)} ${'GFLOP/s'.padStart(9)} ${'speedup'.padStart(9)}  kernel after`);
  // Before: every gemv entry disabled, so every shape takes the tiled kernel; after: the tables as shipped.
  const noGemv = Object.fromEntries(Object.entries(MATMUL_GEMV_TUNING).map(([key, t]) => [key, { ...t, maxM: 0 }])) as TuningTable<GemvTiling>;
  const tiledOnly: MatmulTables = { tiled: MATMUL_TUNING, gemv: noGemv };
  const shipped: MatmulTables = { tiled: MATMUL_TUNING, gemv: MATMUL_GEMV_TUNING };
  for (const s of shapes) {
    const x = be.upload(random(s.M * s.K), [s.M, s.K]);
    const w = be.upload(random(s.K * s.N), s.dense ? [s.N, s.K] : [s.K, s.N]);
    const b = be.upload(random(s.N), [s.N]);
    await be.sync();
    const [before] = await time(be, s, x, w, b, tiledOnly, created);
    const [after, pipelines] = await time(be, s, x, w, b, shipped, created);
    const gflop = (2 * s.M * s.K * s.N) / 1e9;
    const kernel = pipelines.map((k) => k.slice(0, k.indexOf('{'))).join(' ') || '(cached)';
    console.log(
      `${s.name.padEnd(32)} ${fmt(before, 2)} ${fmt(gflop / (before / 1e3), 3)} ${fmt(after, 2)} ${fmt(gflop / (after / 1e3), 3)} ${fmt(before / after, 2)}  ${kernel}`,
    );
    for (const t of [x, w, b]) t.dispose();
  }
  be.dispose();
}

await main();
