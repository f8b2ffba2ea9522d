/**
 * conv2d timings across layer shapes: ms per forward (median of 5 after a warm-up, each run
 * ended with `backend.sync()`), GFLOP/s, the pipelines each shape created and how long its
 * first call took beyond the steady state (pipeline compilation, mostly).
 *
 *   npx vite-node bench/conv2d-shapes.ts            # every shape
 *   npx vite-node bench/conv2d-shapes.ts lenet dw   # shapes whose name contains a filter
 */
import { WebGpuBackend, type Conv2dParams, type Tensor } from 'webcnn';

interface Shape {
  name: string;
  x: [number, number, number, number];
  /** (Cout, C/groups, kH, kW) */
  w: [number, number, number, number];
  params: Conv2dParams;
}

const SHAPES: Shape[] = [
  { name: 'lenet-c1 64x1x28x28 -> 6 @5x5 p2', x: [64, 1, 28, 28], w: [6, 1, 5, 5], params: { padding: 2, activation: 'tanh' } },
  { name: 'lenet-c3 64x6x14x14 -> 16 @5x5', x: [64, 6, 14, 14], w: [16, 6, 5, 5], params: { activation: 'tanh' } },
  { name: 'resnet 1x64x56x56 -> 64 @3x3 p1', x: [1, 64, 56, 56], w: [64, 64, 3, 3], params: { padding: 1, activation: 'relu' } },
  { name: 'resnet 1x256x14x14 -> 256 @3x3 p1', x: [1, 256, 14, 14], w: [256, 256, 3, 3], params: { padding: 1, activation: 'relu' } },
  { name: 'resnet 1x64x56x56 -> 256 @1x1', x: [1, 64, 56, 56], w: [256, 64, 1, 1], params: {} },
  { name: 'alexnet-c1 1x3x227x227 -> 64 @11x11 s4 p2', x: [1, 3, 227, 227], w: [64, 3, 11, 11], params: { stride: 4, padding: 2, activation: 'relu' } },
  { name: 'dw 1x64x32x32 @3x3 p1', x: [1, 64, 32, 32], w: [64, 1, 3, 3], params: { padding: 1, groups: 64, activation: 'relu6' } },
  { name: 'dw 1x128x28x28 @3x3 p1', x: [1, 128, 28, 28], w: [128, 1, 3, 3], params: { padding: 1, groups: 128, activation: 'relu6' } },
];

const RUNS = 5;

function flops(s: Shape, out: readonly number[]): number {
  const [, cg, kh, kw] = s.w;
  return 2 * out.reduce((a, b) => a * b, 1) * cg * kh * kw;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number, digits = 1) => v.toFixed(digits).padStart(9);

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const shapes = SHAPES.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  let created: string[] = [];
  const be = await WebGpuBackend.create({ debug: { dumpWgsl: (key) => created.push(key) } });
  console.log(`adapter: ${JSON.stringify(be.ctx.info)}`);
  console.log(`${'shape'.padEnd(44)} ${'ms'.padStart(9)} ${'GFLOP/s'.padStart(9)} ${'first ms'.padStart(9)} ${'compile'.padStart(9)}  new pipelines`);
  for (const s of shapes) {
    const x = be.tensor(random(s.x.reduce((a, b) => a * b, 1)), s.x);
    const w = be.tensor(random(s.w.reduce((a, b) => a * b, 1)), s.w);
    const b = be.tensor(random(s.w[0]), [s.w[0]]);
    await be.sync();
    const forward = async (): Promise<[number, Tensor]> => {
      const t0 = performance.now();
      const y = be.conv2d(x, w, b, s.params);
      await be.sync();
      return [performance.now() - t0, y];
    };
    created = [];
    const [first, y0] = await forward();
    const shape = y0.shape;
    y0.dispose();
    const newPipelines = created;
    const [, warm] = await forward(); // warm-up
    warm.dispose();
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const [ms, y] = await forward();
      times.push(ms);
      y.dispose();
    }
    const ms = median(times);
    const compile = newPipelines.length > 0 ? fmt(first - ms) : '        -';
    console.log(`${s.name.padEnd(44)} ${fmt(ms)} ${fmt(flops(s, shape) / ms / 1e6, 2)} ${fmt(first)} ${compile}  ${newPipelines.join(' ')}`);
    for (const t of [x, w, b]) t.dispose();
  }
  be.dispose();
}

await main();
