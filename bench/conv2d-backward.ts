/**
 * conv2d backward timings: ms (median of 5 after a warm-up, each run ended with
 * `backend.sync()`) and GFLOP/s of dx, dw and db separately, each computed alone (`want`),
 * for LeNet's two convolutions at batch 64, a few ResNet-style layers, depthwise and grouped
 * layers and AlexNet's conv1. dx is timed by the default choice (`conv2dDxKind`) and by each
 * path forced ('dx gather', 'dx fwd', 'dx col'; a path that does not fit the shape is skipped).
 *
 *   npx vite-node bench/conv2d-backward.ts                 # every shape
 *   npx vite-node bench/conv2d-backward.ts lenet           # shapes whose name contains a filter
 *   npx vite-node bench/conv2d-backward.ts --before FILE   # also time FILE's conv2dBackwardGpu
 *
 * `--before` takes a module exporting `conv2dBackwardGpu(be, x, w, dy, params, want)` with the
 * same signature, e.g. an earlier copy of src/backends/webgpu/kernels/conv2d_backward.ts (with
 * its relative imports made absolute), to compare kernels on the same device in one run.
 */
import { WebGpuBackend, type Conv2dParams, type GradRequest, type Tensor } from 'webcnn';
import type { GpuTensor } from '../src/backends/webgpu/gpu_tensor.js';
import { type Conv2dBackwardOptions, conv2dBackwardGpu } from '../src/backends/webgpu/kernels/conv2d_backward.js';

type BackwardFn = typeof conv2dBackwardGpu;

interface Shape {
  name: string;
  x: [number, number, number, number];
  /** (Cout, C/groups, kH, kW) */
  w: [number, number, number, number];
  params: Conv2dParams;
}

const SHAPES: Shape[] = [
  { name: 'lenet-c1 64x1x28x28 -> 6 @5x5 p2', x: [64, 1, 28, 28], w: [6, 1, 5, 5], params: { padding: 2 } },
  { name: 'lenet-c3 64x6x14x14 -> 16 @5x5', x: [64, 6, 14, 14], w: [16, 6, 5, 5], params: {} },
  { name: 'resnet 1x64x56x56 -> 64 @3x3 p1', x: [1, 64, 56, 56], w: [64, 64, 3, 3], params: { padding: 1 } },
  { name: 'resnet 1x64x56x56 -> 64 @1x1', x: [1, 64, 56, 56], w: [64, 64, 1, 1], params: {} },
  { name: 'resnet 1x64x56x56 -> 128 @3x3 s2 p1', x: [1, 64, 56, 56], w: [128, 64, 3, 3], params: { stride: 2, padding: 1 } },
  { name: 'mobilenet-dw 8x32x28x28 @3x3 g32 p1', x: [8, 32, 28, 28], w: [32, 1, 3, 3], params: { padding: 1, groups: 32 } },
  { name: 'grouped 8x32x28x28 -> 32 @3x3 g8 p1', x: [8, 32, 28, 28], w: [32, 4, 3, 3], params: { padding: 1, groups: 8 } },
  { name: 'grouped 2x64x28x28 -> 64 @3x3 g4 s2 p1', x: [2, 64, 28, 28], w: [64, 16, 3, 3], params: { stride: 2, padding: 1, groups: 4 } },
  // A first layer (training needs no dx there): a data point for large kernels and stride 4.
  { name: 'alexnet-c1 1x3x227x227 -> 64 @11x11 s4', x: [1, 3, 227, 227], w: [64, 3, 11, 11], params: { stride: 4 } },
];

const RUNS = 5;
const GRADS: { key: 'dx' | 'dw' | 'db'; label?: string; want: GradRequest; options?: Conv2dBackwardOptions }[] = [
  { key: 'dx', want: { input: true, weight: false, bias: false } },
  // Every dx path forced, for comparison with the default choice (rows a shape does not fit are skipped).
  { key: 'dx', label: 'dx gather', want: { input: true, weight: false, bias: false }, options: { dxKind: 'gather' } },
  { key: 'dx', label: 'dx fwd', want: { input: true, weight: false, bias: false }, options: { dxKind: 'forward' } },
  { key: 'dx', label: 'dx col', want: { input: true, weight: false, bias: false }, options: { dxKind: 'col' } },
  { key: 'dw', want: { input: false, weight: true, bias: false } },
  { key: 'db', want: { input: false, weight: false, bias: true } },
];

/** Multiply-adds ×2 of dx and dw (each the forward's count); db is one add per dy value. */
function flops(s: Shape, out: readonly number[], key: 'dx' | 'dw' | 'db'): number {
  const outSize = out.reduce((a, b) => a * b, 1);
  const [, cg, kh, kw] = s.w;
  return key === 'db' ? outSize : 2 * outSize * cg * kh * kw;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number, digits = 1) => v.toFixed(digits).padStart(9);

/** Median ms of `RUNS` timed calls after one untimed call (pipeline compiles) and a warm-up. */
async function time(
  be: WebGpuBackend, fn: BackwardFn, x: Tensor, w: Tensor, dy: Tensor, params: Conv2dParams, want: GradRequest, options?: Conv2dBackwardOptions,
): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const g = fn(be, x as GpuTensor, w as GpuTensor, dy as GpuTensor, params, want, options);
    await be.sync();
    const ms = performance.now() - t0;
    for (const t of [g.dx, g.dw, g.db]) t?.dispose();
    return ms;
  };
  await once();
  await once();
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) times.push(await once());
  return median(times);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--before');
  let before: BackwardFn | undefined;
  if (at >= 0) {
    const file = args[at + 1];
    if (!file) throw new Error('--before needs a module path');
    args.splice(at, 2);
    before = ((await import(/* @vite-ignore */ file)) as { conv2dBackwardGpu: BackwardFn }).conv2dBackwardGpu;
  }
  const shapes = SHAPES.filter((s) => args.length === 0 || args.some((f) => s.name.includes(f)));
  const be = await WebGpuBackend.create();
  console.log(`adapter: ${JSON.stringify(be.ctx.info)}`);
  const head = before ? `${'before ms'.padStart(9)} ${'GFLOP/s'.padStart(9)} ` : '';
  console.log(`${'shape'.padEnd(40)} ${'grad'.padEnd(9)} ${head}${'ms'.padStart(9)} ${'GFLOP/s'.padStart(9)}${before ? `  ${'speed-up'.padStart(8)}` : ''}`);
  for (const s of shapes) {
    const x = be.tensor(random(s.x.reduce((a, b) => a * b, 1)), s.x);
    const w = be.tensor(random(s.w.reduce((a, b) => a * b, 1)), s.w);
    const y = be.conv2d(x, w, undefined, s.params);
    const dy = be.tensor(random(y.shape.reduce((a, b) => a * b, 1)), y.shape);
    const outShape = y.shape;
    y.dispose();
    await be.sync();
    for (const { key, label, want, options } of GRADS) {
      const f = flops(s, outShape, key);
      let after: number;
      try {
        after = await time(be, conv2dBackwardGpu, x, w, dy, s.params, want, options);
      } catch (e) {
        // A forced path that does not fit this shape.
        if (options && e instanceof RangeError) continue;
        throw e;
      }
      let row = `${s.name.padEnd(40)} ${(label ?? key).padEnd(9)} `;
      if (before && !options) {
        const old = await time(be, before, x, w, dy, s.params, want);
        row += `${fmt(old)} ${fmt(f / old / 1e6, 2)} `;
        console.log(`${row}${fmt(after)} ${fmt(f / after / 1e6, 2)}  ${fmt(old / after, 1).slice(1)}x`);
      } else {
        console.log(`${row}${before ? ' '.repeat(20) : ''}${fmt(after)} ${fmt(f / after / 1e6, 2)}`);
      }
    }
    for (const t of [x, w, dy]) t.dispose();
  }
  be.dispose();
}

await main();
