// conv2dBackward: the CPU reference against finite differences of the CPU forward (dx, dw and
// db; stride, asymmetric padding, dilation, groups, depthwise, 1×1, SAME, LeNet-5's C3 table,
// batch > 1); the GPU kernels (dx by the col GEMM + col2im, by the forward GEMM on flipped
// weights and by the gather, dw
// by the split-K GEMM with several split counts and by per-element reduction, db) against the
// CPU over a sweep of shapes; which kernel each shape gets; `want` subsets; bad input.
import { describe, it, expect } from 'vitest';
import {
  WebGpuBackend, ShapeError, InvalidArgumentError, type TrainingBackend, type Conv2dParams, type Conv2dGrads, type GradRequest, type Padding2d,
  type Tensor, CpuTensor,
} from 'webcnn';
import { gpuIt, cpu, getGpu, counts } from './helpers/gpu.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu_tensor.js';
import { expectClose } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';
import {
  type Conv2dBackwardOptions, conv2dBackwardGpu,
} from '../src/backends/webgpu/kernels/conv2d_backward.js';
import {
  selectDwSplit, selectDwTile, conv2dDxKind, dxColScratchBytes, DX_FORWARD_MIN_CHANNELS,
} from '../src/backends/webgpu/kernels/conv2d_backward_paths.js';
import { DX_COL_TUNING } from '../src/backends/webgpu/tuning.js';
import { inferConv2dBackward } from '../src/ops/conv2d_backward.js';
import { inferConv2d } from '../src/ops/conv2d.js';

// dw and db are sums over N·Ho·Wo (up to ~800 products of values in [-1, 1]), dx over Cout·kH·kW.
const TOL = { atol: 2e-4, rtol: 1e-4 };

interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output channels (ignored with a table: one per row). */
  cout: number;
  k: number | [number, number];
  stride?: number | [number, number];
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
  table?: number[][];
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function caseName(op: string, cs: Case): string {
  const [kh, kw] = pair(cs.k);
  return [
    op,
    `k${kh}x${kw}`,
    `s${JSON.stringify(cs.stride ?? 1)}`,
    `p${JSON.stringify(cs.padding ?? 0)}`,
    `d${JSON.stringify(cs.dilation ?? 1)}`,
    cs.table ? `table${cs.table.length}` : `g${cs.groups ?? 1}`,
    `x[${cs.n},${cs.c},${cs.h},${cs.w}]`,
    `cout${cs.table ? cs.table.length : cs.cout}`,
  ].join(' ');
}

/** Shapes and params of a case; the forward's output shape comes from the CPU forward. */
function geometry(cs: Case) {
  const [kh, kw] = pair(cs.k);
  const xShape = [cs.n, cs.c, cs.h, cs.w];
  const cout = cs.table ? cs.table.length : cs.cout;
  const wShape = cs.table ? [cs.table.reduce((s, row) => s + row.length, 0), kh, kw] : [cs.cout, cs.c / (cs.groups ?? 1), kh, kw];
  const params: Conv2dParams = { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, connectionTable: cs.table };
  const y = cpu.conv2d(cpu.zeros(xShape), cpu.zeros(wShape), undefined, params);
  const yShape = [...y.shape];
  y.dispose();
  return { xShape, wShape, yShape, cout, params };
}

/** LeNet-5 C3 (LeCun et al. 1998, table I): which of S2's 6 maps each of C3's 16 maps reads. */
const LENET_C3_TABLE: number[][] = [
  ...[0, 1, 2, 3, 4, 5].map((i) => [i, (i + 1) % 6, (i + 2) % 6]),
  ...[0, 1, 2, 3, 4, 5].map((i) => [i, (i + 1) % 6, (i + 2) % 6, (i + 3) % 6]),
  [0, 1, 3, 4],
  [1, 2, 4, 5],
  [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

describe('conv2dBackward CPU vs finite differences', () => {
  const CASES: { name: string; cs: Case; maxChecks?: number }[] = [
    { name: '3×3 stride 1 pad 1', cs: { n: 1, c: 3, h: 6, w: 7, cout: 4, k: 3, padding: 1 } },
    { name: '5×5 stride 2 asymmetric padding', cs: { n: 1, c: 2, h: 11, w: 10, cout: 3, k: 5, stride: 2, padding: [1, 2, 0, 1] } },
    { name: 'dilation 2', cs: { n: 1, c: 2, h: 9, w: 8, cout: 3, k: 3, dilation: 2, padding: 1 } },
    { name: 'groups 2', cs: { n: 1, c: 4, h: 6, w: 5, cout: 6, k: 3, padding: 1, groups: 2 } },
    { name: 'depthwise multiplier 2', cs: { n: 1, c: 3, h: 7, w: 6, cout: 6, k: 3, stride: 2, padding: 1, groups: 3 } },
    { name: '1×1', cs: { n: 1, c: 5, h: 4, w: 5, cout: 3, k: 1 } },
    { name: "'same' padding, stride 2", cs: { n: 1, c: 3, h: 8, w: 7, cout: 4, k: 3, stride: 2, padding: 'same' } },
    { name: 'LeNet-5 C3 connection table', cs: { n: 1, c: 6, h: 14, w: 14, cout: 16, k: 5, table: LENET_C3_TABLE }, maxChecks: 48 },
    { name: 'batch 2', cs: { n: 2, c: 3, h: 6, w: 5, cout: 4, k: 3, stride: [1, 2], padding: [1, 0] } },
  ];
  const rng = new Rng(404);
  for (const { name, cs, maxChecks } of CASES) {
    it(`conv2dBackward ${name}: dx, dw, db match central differences (${caseName('', cs)})`, () => {
      const { xShape, wShape, yShape, cout, params } = geometry(cs);
      const x = rng.uniform(sizeOf(xShape));
      const w = rng.uniform(sizeOf(wShape), -0.5, 0.5);
      const b = rng.uniform(cout);
      const r = rng.uniform(sizeOf(yShape)); // L = Σ y·r, so dy = r
      const loss = (xv: Float32Array, wv: Float32Array, bv: Float32Array) => {
        const y = cpu.conv2d(cpu.tensor(xv, xShape), cpu.tensor(wv, wShape), cpu.tensor(bv, [cout]), params) as CpuTensor;
        return project(y.data, r);
      };
      // The backward takes dy at the pre-activation output: a fused activation is ignored.
      const g = cpu.conv2dBackward(cpu.tensor(x, xShape), cpu.tensor(w, wShape), cpu.tensor(r, yShape), { ...params, activation: 'tanh' });
      const data = (t: Tensor | undefined) => (t as CpuTensor).data;
      expect(g.dx?.shape).toEqual(xShape);
      expect(g.dw?.shape).toEqual(wShape);
      expect(g.db?.shape).toEqual([cout]);
      const opts = { maxChecks: maxChecks ?? 64 };
      expectGradient((xv) => loss(xv, w, b), x, data(g.dx), { ...opts, label: 'dx' });
      expectGradient((wv) => loss(x, wv, b), w, data(g.dw), { ...opts, label: 'dw' });
      expectGradient((bv) => loss(x, w, bv), b, data(g.db), { ...opts, label: 'db' });
    });
  }
});

/**
 * The CPU's and one GPU backend's grads for the same data, each compared (shape and values).
 * With `options` the GPU side calls the kernel entry directly with them (forced paths).
 */
async function compareGrads(gpu: TrainingBackend, cs: Case, rng: Rng, label = '', want: GradRequest = {}, options?: Conv2dBackwardOptions): Promise<void> {
  const { xShape, wShape, yShape, params } = geometry(cs);
  const x = rng.uniform(sizeOf(xShape));
  const w = rng.uniform(sizeOf(wShape));
  const dy = rng.uniform(sizeOf(yShape));
  const run = async (be: TrainingBackend) => {
    const made = [be.tensor(x, xShape), be.tensor(w, wShape), be.tensor(dy, yShape)];
    const g =
      options && be instanceof WebGpuBackend
        ? conv2dBackwardGpu(be, made[0] as GpuTensor, made[1] as GpuTensor, made[2] as GpuTensor, params, want, options)
        : be.conv2dBackward(made[0], made[1], made[2], params, want);
    const out: Partial<Record<keyof Conv2dGrads, { shape: readonly number[]; data: Float32Array }>> = {};
    for (const key of ['dx', 'dw', 'db'] as const) {
      const t = g[key];
      if (t) out[key] = { shape: t.shape, data: await t.read() };
      t?.dispose();
    }
    for (const t of made) t.dispose();
    return out;
  };
  const ref = await run(cpu);
  const got = await run(gpu);
  for (const key of ['dx', 'dw', 'db'] as const) {
    expect(got[key] === undefined, `${label} ${key} present on both or neither`).toBe(ref[key] === undefined);
    const r = ref[key];
    const o = got[key];
    if (!r || !o) continue;
    counts.comparisons++;
    expect(o.shape, `${label} ${key} shape`).toEqual(r.shape);
    expectClose(o.data, r.data, TOL, `${label} ${key}`, r.shape);
  }
}

const GPU_CASES: Case[] = [
  // 3×3
  { n: 1, c: 3, h: 9, w: 9, cout: 5, k: 3, padding: 1 },
  { n: 2, c: 5, h: 10, w: 7, cout: 7, k: 3, stride: 2, padding: 'same' },
  { n: 1, c: 4, h: 10, w: 9, cout: 6, k: 3, dilation: 2, padding: 2 },
  { n: 2, c: 3, h: 9, w: 12, cout: 4, k: 3, dilation: [2, 1], stride: [1, 2], padding: [2, 1] },
  { n: 1, c: 3, h: 7, w: 7, cout: 4, k: 3, padding: 3 }, // padding wider than the kernel
  { n: 3, c: 2, h: 15, w: 17, cout: 3, k: 3, stride: 2, padding: [1, 0] },
  { n: 3, c: 3, h: 16, w: 16, cout: 5, k: 3, padding: 1 }, // Q = 768: many TP slices
  // 5×5
  { n: 2, c: 3, h: 11, w: 12, cout: 4, k: 5, stride: 2, padding: [1, 2, 0, 1] },
  { n: 1, c: 3, h: 12, w: 11, cout: 12, k: 5, padding: 'same' },
  { n: 1, c: 3, h: 5, w: 5, cout: 4, k: 5 }, // window = input: 1×1 output
  { n: 1, c: 12, h: 8, w: 8, cout: 6, k: 5, padding: 2 }, // K = 300: many K tiles
  // 11×11 stride 4 (AlexNet conv1 geometry on a small input).
  { n: 1, c: 3, h: 23, w: 23, cout: 8, k: 11, stride: 4 },
  { n: 2, c: 3, h: 27, w: 25, cout: 5, k: 11, stride: 4, padding: 2 },
  // 1×1, rectangular and even kernels.
  { n: 2, c: 7, h: 5, w: 6, cout: 9, k: 1 },
  { n: 3, c: 5, h: 9, w: 9, cout: 3, k: 1, stride: 2 },
  { n: 2, c: 3, h: 9, w: 11, cout: 5, k: [3, 5], padding: [1, 2] },
  { n: 1, c: 4, h: 8, w: 13, cout: 3, k: [1, 7], padding: 'same' },
  { n: 2, c: 3, h: 10, w: 9, cout: 6, k: 2, stride: 2 },
  // Several tiles along M (TILE_M = 16).
  { n: 2, c: 5, h: 6, w: 7, cout: 20, k: 3, padding: 1 },
  { n: 2, c: 3, h: 9, w: 10, cout: 37, k: 3, stride: 2, padding: 1 },
  // Groups.
  { n: 2, c: 6, h: 7, w: 8, cout: 4, k: 3, padding: 1, groups: 2 },
  { n: 1, c: 9, h: 11, w: 12, cout: 6, k: 5, stride: 2, padding: 'same', groups: 3 },
  { n: 3, c: 6, h: 7, w: 9, cout: 15, k: 3, groups: 3 },
  // Depthwise (dw by per-element reduction), multiplier 1 and 2.
  { n: 1, c: 7, h: 9, w: 11, cout: 7, k: 3, padding: 1, groups: 7 },
  { n: 3, c: 5, h: 10, w: 9, cout: 5, k: 3, stride: 2, padding: 'same', groups: 5 },
  { n: 2, c: 5, h: 8, w: 7, cout: 10, k: 3, padding: 1, groups: 5 },
  { n: 1, c: 3, h: 13, w: 11, cout: 6, k: 3, dilation: 2, padding: [2, 2, 1, 0], groups: 3 },
  { n: 1, c: 1, h: 12, w: 12, cout: 6, k: 5 }, // C = 1 (LeNet C1 geometry)
  // Few long channels: db in chunks then their sum (N·Ho·Wo = 16,875 and 16,660, 7×7 planes
  // narrower than a workgroup's stride).
  { n: 3, c: 2, h: 75, w: 75, cout: 3, k: 3, padding: 1 },
  { n: 340, c: 2, h: 7, w: 7, cout: 2, k: 3, padding: 1 },
];

describe('conv2dBackward GPU vs CPU', () => {
  const rng = new Rng(2025);
  for (const cs of GPU_CASES) {
    gpuIt(caseName('conv2dBackward', cs), async (gpu) => {
      await compareGrads(gpu, cs, rng);
    });
  }
});

describe('conv2dBackward connection tables GPU vs CPU', () => {
  const rng = new Rng(1998);
  const cases: Case[] = [
    { n: 2, c: 6, h: 14, w: 14, cout: 16, k: 5, table: LENET_C3_TABLE }, // LeNet-5 C3
    { n: 1, c: 4, h: 9, w: 8, cout: 3, k: 3, stride: 2, padding: 1, table: [[3], [0, 2], [1, 2, 3]] }, // map 1 read once, 0 once
    { n: 2, c: 5, h: 7, w: 6, cout: 2, k: 3, dilation: 2, padding: 'same', table: [[4, 0], [2, 4]] }, // maps 1 and 3 unread: dx = 0
    // Through the dense paths on expanded weights (dx by col: at least minDepth output maps).
    { n: 3, c: 6, h: 14, w: 14, cout: 16, k: 5, table: LENET_C3_TABLE }, // LeNet-5 C3, batch 3
    { n: 2, c: 7, h: 9, w: 8, cout: 5, k: 3, stride: 2, padding: 1, table: [[0, 6], [2], [6, 4, 0], [2, 6], [4]] }, // maps 1, 3, 5 unread: dx = 0
    { n: 3, c: 5, h: 8, w: 9, cout: 4, k: 3, padding: 'same', table: [[3], [0, 1, 2, 3, 4], [1], [4, 2]] }, // single-entry rows
  ];
  for (const cs of cases) {
    gpuIt(caseName('conv2dBackward', cs), async (gpu) => {
      await compareGrads(gpu, cs, rng);
    });
  }
  // The same tables by the direct table kernels (forceNaive): the table gather and dw_reduce.
  for (const cs of cases.slice(3)) {
    gpuIt(caseName('conv2dBackward table naive', cs), async () => {
      await compareGrads(await naiveBackend(), cs, rng);
    });
  }

  gpuIt('conv2dBackward table listing every input equals the dense backward (x[2,5,9,8] k3x3 s2 p1 cout4)', async (gpu) => {
    const [n, c, h, wd, cout] = [2, 5, 9, 8, 4];
    const x = rng.uniform(n * c * h * wd);
    const w = rng.uniform(cout * c * 9);
    const geo: Conv2dParams = { stride: 2, padding: 1 };
    const yShape = [n, cout, 5, 4];
    const dy = rng.uniform(sizeOf(yShape));
    for (const be of [cpu, gpu] as TrainingBackend[]) {
      const t = [be.tensor(x, [n, c, h, wd]), be.tensor(w, [cout, c, 3, 3]), be.tensor(w, [cout * c, 3, 3]), be.tensor(dy, yShape)];
      const dense = be.conv2dBackward(t[0], t[1], t[3], geo);
      const table = be.conv2dBackward(t[0], t[2], t[3], { ...geo, connectionTable: Array.from({ length: cout }, () => [0, 1, 2, 3, 4]) });
      const tol = be === cpu ? { atol: 1e-6, rtol: 1e-6 } : TOL;
      for (const key of ['dx', 'dw', 'db'] as const) {
        const d = dense[key];
        const tb = table[key];
        if (!d || !tb) throw new Error(`${be.name}: ${key} missing`);
        expect(sizeOf(tb.shape)).toBe(sizeOf(d.shape));
        expectClose(await tb.read(), await d.read(), tol, `${be.name} ${key} table vs dense`, d.shape);
        d.dispose();
        tb.dispose();
      }
      for (const x of t) x.dispose();
    }
  });
});

// A second backend on the same device, with the naive kernels (dw by per-element reduction everywhere).
let naive: Promise<WebGpuBackend> | null = null;
async function naiveBackend(): Promise<WebGpuBackend> {
  const gpu = await getGpu();
  naive ??= WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
  return naive;
}

describe('conv2dBackward forceNaive vs CPU', () => {
  const rng = new Rng(5);
  const cases: Case[] = [
    { n: 2, c: 5, h: 9, w: 11, cout: 7, k: 3, stride: 2, padding: 1 },
    { n: 1, c: 6, h: 10, w: 9, cout: 4, k: 3, padding: 'same', groups: 2 },
    { n: 1, c: 3, h: 13, w: 11, cout: 5, k: 5, dilation: 2, padding: [2, 1, 0, 3] },
  ];
  for (const cs of cases) {
    gpuIt(caseName('conv2dBackward naive', cs), async () => {
      await compareGrads(await naiveBackend(), cs, rng);
    });
  }
});

describe('conv2dBackward random shapes GPU vs CPU', () => {
  const shapes = new Rng(77);
  const rng = new Rng(78);
  for (let i = 0; i < 6; i++) {
    const k = shapes.pick([1, 2, 3, 3, 5]);
    const dilation = k > 1 ? shapes.pick([1, 1, 2]) : 1;
    const eff = (k - 1) * dilation + 1;
    const groups = shapes.pick([1, 1, 2, 3]);
    const cs: Case = {
      n: shapes.int(1, 3),
      c: groups * shapes.int(1, 4),
      h: shapes.int(eff, eff + 9),
      w: shapes.int(eff, eff + 9),
      cout: groups * shapes.int(1, 6),
      k,
      stride: shapes.int(1, 3),
      padding: shapes.pick<Padding2d>([0, Math.floor(eff / 2), 'same', [shapes.int(0, 2), shapes.int(0, 2), shapes.int(0, 2), shapes.int(0, 2)]]),
      dilation,
      groups,
    };
    gpuIt(caseName('conv2dBackward random', cs), async (gpu) => {
      await compareGrads(gpu, cs, rng);
    });
  }
});

describe('conv2dBackward kernel selection', () => {
  it('conv2dBackward dw tile covers M × K with power-of-two sides; the split fills the device with whole steps', () => {
    expect(selectDwTile(6, 25)).toEqual({ wgX: 8, wgY: 2, tp: 16 }); // LeNet C1: 8 × 32 tile
    expect(selectDwTile(16, 150)).toEqual({ wgX: 16, wgY: 4, tp: 16 }); // LeNet C3: 16 × 64
    expect(selectDwTile(1, 9)).toEqual({ wgX: 4, wgY: 1, tp: 16 }); // depthwise: 4 × 16
    expect(selectDwTile(256, 2304)).toEqual({ wgX: 16, wgY: 16, tp: 16 }); // 64 × 64
    // LeNet C1 at batch 64: one tile, 50176 positions -> 128 chunks of 400 (126 of them).
    expect(selectDwSplit(1, 50176, 150, 16)).toEqual({ splits: 126, chunk: 400 });
    // Few positions: chunks of at least 64, and one chunk below 128.
    expect(selectDwSplit(1, 200, 150, 16)).toEqual({ splits: 3, chunk: 80 });
    expect(selectDwSplit(1, 100, 150, 16)).toEqual({ splits: 1, chunk: 112 });
    // Enough tiles already: no split.
    expect(selectDwSplit(200, 100000, 150, 16)).toEqual({ splits: 1, chunk: 100000 });
    // Requested counts round the chunk up to whole steps, so 5 of 126 positions become 4 chunks of 32.
    expect(selectDwSplit(1, 126, 150, 16, 5)).toEqual({ splits: 4, chunk: 32 });
    expect(() => selectDwSplit(1, 126, 150, 16, 0)).toThrow(RangeError);
  });

  it('conv2dBackward dx path: col from minDepth output channels per group within the scratch cap, else forward (stride 1, wide or depthwise), else gather', () => {
    const kind = (x: number[], w: number[], params: Conv2dParams, opts: { naive?: boolean; cap?: number } = {}) => {
      const cfg = inferConv2dBackward(x, w, inferConv2d(x, w, undefined, params).outShape, params);
      return { kind: conv2dDxKind(cfg, opts.naive ?? false, opts.cap), bytes: dxColScratchBytes(cfg) };
    };
    const c3 = kind([64, 6, 14, 14], [16, 6, 5, 5], {});
    expect(c3).toEqual({ kind: 'col', bytes: 4 * 64 * 150 * 100 }); // LeNet C3 at batch 64: 3.84 MB
    expect(kind([64, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }).kind).toBe('col'); // LeNet C1
    expect(kind([1, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 }).kind).toBe('col');
    expect(kind([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }).kind).toBe('col');
    expect(kind([2, 8, 9, 9], [8, 2, 3, 3], { groups: 4, stride: 2 }).kind).toBe('gather'); // grouped, depth 2
    expect(kind([2, 16, 9, 9], [16, 4, 3, 3], { groups: 4, stride: 2 }).kind).toBe('col'); // grouped, depth 4
    // dcol over the cap (ResNet at batch 32: 231 MB, stride 2 at batch 64: 116 MB > 64 MiB): forward for stride 1, gather for stride 2.
    expect(kind([32, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }).kind).toBe('forward');
    expect(kind([64, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 }).kind).toBe('gather');
    expect(kind([16, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 }).kind).toBe('col'); // 29 MB
    expect(kind([64, 6, 14, 14], [16, 6, 5, 5], {}, { cap: c3.bytes - 1 }).kind).toBe('gather');
    expect(kind([64, 6, 14, 14], [16, 6, 5, 5], {}, { cap: c3.bytes }).kind).toBe('col');
    expect(DX_COL_TUNING.default.maxScratchBytes).toBe(64 << 20);
    // Fewer than minDepth output channels per group: forward when wide or depthwise at stride 1, else gather.
    expect(kind([1, DX_FORWARD_MIN_CHANNELS, 8, 8], [DX_COL_TUNING.default.minDepth - 1, DX_FORWARD_MIN_CHANNELS, 3, 3], {}).kind).toBe('forward');
    expect(kind([1, DX_FORWARD_MIN_CHANNELS - 1, 8, 8], [DX_COL_TUNING.default.minDepth - 1, DX_FORWARD_MIN_CHANNELS - 1, 3, 3], {}).kind).toBe('gather');
    expect(kind([8, 32, 28, 28], [32, 1, 3, 3], { groups: 32, padding: 1 }).kind).toBe('forward'); // depthwise
    expect(kind([8, 32, 28, 28], [32, 1, 3, 3], { groups: 32, padding: 1, stride: 2 }).kind).toBe('gather');
    expect(kind([8, 16, 28, 28], [32, 1, 3, 3], { groups: 16, padding: 1 }).kind).toBe('gather'); // multiplier 2
    expect(kind([64, 6, 14, 14], [16, 6, 5, 5], {}, { naive: true }).kind).toBe('gather');
    // A connection table takes the path of its expanded dense convolution, or the gather under forceNaive.
    const table = { connectionTable: LENET_C3_TABLE };
    const c3Table = [LENET_C3_TABLE.reduce((s, r) => s + r.length, 0), 5, 5];
    expect(kind([64, 6, 14, 14], c3Table, table)).toEqual({ kind: 'col', bytes: c3.bytes });
    expect(kind([64, 6, 14, 14], c3Table, table, { cap: c3.bytes - 1 }).kind).toBe('gather');
    expect(kind([64, 6, 14, 14], c3Table, table, { naive: true }).kind).toBe('gather');
  });

  gpuIt('conv2dBackward: dx by col GEMM + col2im, flipped-weight forward GEMM or gather, dw by split GEMM (+ sum) or per-element reduction', async (gpu) => {
    const rng = new Rng(9);
    // A fresh backend on the same device, so its pipeline cache starts empty and reports every pipeline.
    const run = async (debug: { forceNaive?: boolean }, cs: Case, want: GradRequest) => {
      const keys: string[] = [];
      const be = await WebGpuBackend.create({ context: gpu.ctx, debug: { ...debug, dumpWgsl: (key) => keys.push(key) } });
      try {
        await compareGrads(be, cs, rng, JSON.stringify(debug), want);
      } finally {
        be.dispose();
      }
      return keys;
    };
    const dwOnly = { input: false, bias: false };
    const dxOnly = { weight: false, bias: false };
    const split = (x: number, y: number) => `conv2d_backward:dw_split{TP=16,WG_X=${x},WG_Y=${y}}`;
    const sum = 'conv2d_backward:dw_sum{WG=64}';
    // Q = 30 positions: one chunk, written straight into dw.
    expect(await run({}, { n: 1, c: 2, h: 6, w: 5, cout: 3, k: 3 }, dwOnly)).toEqual([split(8, 1)]);
    expect(await run({}, { n: 1, c: 2, h: 6, w: 5, cout: 9, k: 3 }, dwOnly)).toEqual([split(8, 4)]);
    // Q = 3·12·12 = 432: split into chunks, then summed.
    expect(await run({}, { n: 3, c: 2, h: 14, w: 14, cout: 9, k: 3 }, dwOnly)).toEqual([split(8, 4), sum]);
    const depthwise: Case = { n: 2, c: 4, h: 12, w: 12, cout: 8, k: 3, groups: 4 };
    expect(await run({}, depthwise, dwOnly)).toEqual([split(4, 1), sum]);
    expect(await run({ forceNaive: true }, { n: 1, c: 2, h: 6, w: 5, cout: 8, k: 3 }, dwOnly)).toEqual(['conv2d_backward:dw_reduce{TABLE=0,WG=64}']);
    // dx: minDepth output channels per group run the col GEMM, then col2im.
    const col = ['conv2d_backward:col_gemm{WG_X=16,WG_Y=4}', 'conv2d_backward:col2im{WG=64}'];
    expect(await run({}, { n: 2, c: 3, h: 9, w: 8, cout: DX_COL_TUNING.default.minDepth, k: 3, stride: 2 }, dxOnly)).toEqual(col);
    // Fewer: stride 1 with enough channels per group runs the forward GEMM on flipped weights.
    const wide: Case = { n: 1, c: DX_FORWARD_MIN_CHANNELS, h: 5, w: 4, cout: 3, k: 3, padding: [2, 0, 1, 1] };
    expect(await run({}, wide, dxOnly)).toEqual(['conv2d_backward:w_flip{WG=64}', expect.stringMatching(/^conv2d:gemm\{/)]);
    // Too few channels, stride 2, padding past the kernel, forceNaive: the gather.
    const gather = ['conv2d_backward:dx{TABLE=0,WG=64}'];
    expect(await run({}, { ...wide, c: DX_FORWARD_MIN_CHANNELS - 1 }, dxOnly)).toEqual(gather);
    expect(await run({}, { ...wide, stride: 2 }, dxOnly)).toEqual(gather);
    expect(await run({}, { ...wide, padding: 3 }, dxOnly)).toEqual(gather);
    expect(await run({ forceNaive: true }, wide, dxOnly)).toEqual(gather);
    // Connection tables: expanded to dense weights, then the dense paths (here the gather: 2 output
    // channels < minDepth, 3 input channels < DX_FORWARD_MIN_CHANNELS) and table_compact for dw;
    // under forceNaive the table gather and the per-element reduction reading the table.
    const table: Case = { n: 1, c: 3, h: 6, w: 6, cout: 2, k: 3, table: [[0, 2], [1]] };
    expect(await run({}, table, {})).toEqual([
      'conv2d_table:table_expand{WG=64}',
      'conv2d_backward:dx{TABLE=0,WG=64}',
      split(8, 1),
      'conv2d_backward:db{WG=64}',
      'conv2d_backward:table_compact{WG=64}',
    ]);
    const wideTable: Case = { n: 2, c: 3, h: 9, w: 8, cout: DX_COL_TUNING.default.minDepth, k: 3, stride: 2, table: [[0], [1, 2], [0, 1, 2], [2]] };
    expect(await run({}, wideTable, {})).toEqual([
      'conv2d_table:table_expand{WG=64}',
      ...col,
      split(8, 1),
      'conv2d_backward:db{WG=64}',
      'conv2d_backward:table_compact{WG=64}',
    ]);
    expect(await run({ forceNaive: true }, table, {})).toEqual([
      'conv2d_backward:dx{TABLE=1,WG=64}',
      'conv2d_backward:dw_reduce{TABLE=1,WG=64}',
      'conv2d_backward:db{WG=64}',
    ]);
  });
});

describe('conv2dBackward split-K dw GPU vs CPU', () => {
  const rng = new Rng(31);
  // Q = 2·7·9 = 126 positions, not a multiple of any chunk: 1, 2 (64 + 62), 3 (48 + 48 + 30),
  // 4 (32·3 + 30) and 8 (16·7 + 14) chunks.
  const base: Case = { n: 2, c: 3, h: 7, w: 9, cout: 5, k: 3, padding: 1 };
  for (const dwSplits of [1, 2, 3, 5, 8]) {
    gpuIt(`${caseName('conv2dBackward dw split', base)} splits ${dwSplits}`, async (gpu) => {
      await compareGrads(gpu, base, rng, `splits ${dwSplits}`, { input: false, bias: false }, { dwSplits });
    });
  }
  const cases: [Case, number][] = [
    [{ n: 2, c: 6, h: 9, w: 8, cout: 10, k: 3, stride: 2, padding: [1, 0, 2, 1], groups: 2 }, 3], // grouped, stride 2
    [{ n: 3, c: 5, h: 10, w: 9, cout: 10, k: 3, padding: 'same', groups: 5 }, 4], // depthwise, multiplier 2
    [{ n: 1, c: 7, h: 11, w: 13, cout: 7, k: 5, dilation: 2, padding: [3, 2, 1, 4], groups: 7 }, 2], // depthwise, dilated
    [{ n: 2, c: 5, h: 8, w: 8, cout: 37, k: 3, padding: 1 }, 6], // 3 tiles of M (16 rows), odd M
    [{ n: 1, c: 9, h: 9, w: 9, cout: 4, k: 5, padding: 2 }, 3], // K = 225: 4 tiles of K
  ];
  for (const [cs, dwSplits] of cases) {
    gpuIt(`${caseName('conv2dBackward dw split', cs)} splits ${dwSplits}`, async (gpu) => {
      await compareGrads(gpu, cs, rng, `splits ${dwSplits}`, { input: false, bias: false }, { dwSplits });
    });
  }
});

describe('conv2dBackward dx paths GPU vs CPU', () => {
  const rng = new Rng(180);
  const dxOnly = { weight: false, bias: false };
  // Stride 1: dx as the forward GEMM on flipped weights (forced on small channel counts).
  const forward: Case[] = [
    { n: 2, c: 3, h: 7, w: 8, cout: 5, k: 3, padding: [2, 0, 1, 2] }, // asymmetric, 0 and full
    { n: 1, c: 6, h: 9, w: 7, cout: 4, k: [3, 5], padding: [0, 1, 2, 3], groups: 2 },
    { n: 2, c: 6, h: 8, w: 9, cout: 9, k: 3, padding: [1, 2, 0, 1], groups: 3 },
    { n: 1, c: 4, h: 9, w: 10, cout: 8, k: 3, padding: 1, groups: 4 }, // depthwise, multiplier 2
    { n: 1, c: 3, h: 11, w: 10, cout: 4, k: 3, dilation: [2, 3], padding: [4, 1, 0, 6] },
    { n: 2, c: 5, h: 6, w: 5, cout: 3, k: 1 },
  ];
  for (const cs of forward) {
    gpuIt(`${caseName('conv2dBackward dx forward', cs)}`, async (gpu) => {
      await compareGrads(gpu, cs, rng, 'dx forward', dxOnly, { dxKind: 'forward' });
    });
  }
  // The default choice at DX_FORWARD_MIN_CHANNELS channels per group (forward).
  const wide: Case = { n: 1, c: 2 * DX_FORWARD_MIN_CHANNELS, h: 6, w: 7, cout: 6, k: 3, padding: [1, 2, 0, 1], groups: 2 };
  gpuIt(`${caseName('conv2dBackward dx default', wide)}`, async (gpu) => {
    await compareGrads(gpu, wide, rng, 'dx default', dxOnly);
  });
  // Stride > 1 (and stride 1 forced): the gather, visiting only the landing taps.
  const gather: Case[] = [
    { n: 2, c: 3, h: 11, w: 10, cout: 4, k: 3, stride: 2, padding: [1, 0, 1, 2] },
    { n: 1, c: 5, h: 14, w: 13, cout: 3, k: 3, stride: [3, 2], dilation: [2, 3], padding: [2, 1, 0, 3] }, // gcd(3,2) = 1, gcd(2,3) = 1
    { n: 1, c: 4, h: 12, w: 12, cout: 6, k: 3, stride: 2, dilation: 2, padding: 2, groups: 2 }, // gcd(2, 2) = 2: all or no taps
    { n: 2, c: 3, h: 9, w: 9, cout: 5, k: 4, stride: [2, 4], padding: [1, 2, 3, 1] },
    { n: 1, c: 3, h: 8, w: 7, cout: 4, k: 3, padding: [2, 1, 0, 2] }, // stride 1 by the gather
  ];
  for (const cs of gather) {
    gpuIt(`${caseName('conv2dBackward dx gather', cs)}`, async (gpu) => {
      await compareGrads(gpu, cs, rng, 'dx gather', dxOnly, { dxKind: 'gather' });
    });
  }

  // Any stride: dcol = Wᵀ·dy by col_gemm, then col2im (forced on shapes the rule gives to other paths).
  const col: Case[] = [
    { n: 2, c: 3, h: 11, w: 10, cout: 4, k: 3, stride: 2, padding: [1, 0, 1, 2] }, // stride 2, asymmetric padding
    { n: 1, c: 5, h: 14, w: 13, cout: 3, k: 3, stride: [3, 2], dilation: [2, 3], padding: [2, 1, 0, 3] }, // dilation, gcd(3,2) = 1
    { n: 3, c: 6, h: 14, w: 14, cout: 16, k: 5 }, // LeNet C3 geometry, batch 3
    { n: 3, c: 5, h: 9, w: 7, cout: 7, k: 3, padding: 'same' }, // odd sizes, stride 1
    { n: 2, c: 3, h: 27, w: 25, cout: 5, k: 11, stride: 4, padding: 2 }, // AlexNet conv1 geometry
    { n: 1, c: 4, h: 12, w: 12, cout: 6, k: 3, stride: 2, dilation: 2, padding: 2 }, // gcd(2, 2) = 2: all or no taps
    { n: 2, c: 3, h: 9, w: 9, cout: 5, k: [4, 2], stride: [2, 3], padding: [1, 2, 3, 1] }, // even, rectangular kernel
    { n: 2, c: 7, h: 5, w: 6, cout: 9, k: 1, stride: 2 }, // 1×1 stride 2: rows of dx never read stay 0
    { n: 2, c: 6, h: 9, w: 8, cout: 10, k: 3, stride: 2, padding: [1, 0, 2, 1], groups: 2 }, // groups, batch 2
    { n: 3, c: 4, h: 9, w: 10, cout: 8, k: 3, padding: 1, groups: 4 }, // depthwise multiplier 2, batch 3
    { n: 1, c: 37, h: 7, w: 6, cout: 3, k: 2, padding: [0, 1, 1, 0] }, // kg = 148 rows, 42 pixels: ragged 4 × 4 blocks
  ];
  for (const cs of col) {
    gpuIt(`${caseName('conv2dBackward dx col', cs)}`, async (gpu) => {
      await compareGrads(gpu, cs, rng, 'dx col', dxOnly, { dxKind: 'col' });
    });
  }

  gpuIt('conv2dBackward dx col rejects a connection table before GPU work', async (gpu) => {
    const t = [gpu.zeroed([1, 3, 6, 6]), gpu.zeroed([3, 3, 3]), gpu.zeroed([1, 2, 4, 4])];
    const before = gpu.memoryInfo().buffers;
    const call = () => conv2dBackwardGpu(gpu, t[0], t[1], t[2], { connectionTable: [[0, 2], [1]] }, {}, { dxKind: 'col' });
    expect(call).toThrow(RangeError);
    expect(call).toThrow('col path');
    expect(gpu.memoryInfo().buffers).toBe(before);
    for (const x of t) x.dispose();
  });

  gpuIt('conv2dBackward dx forward rejects a shape it does not fit (stride 2) before GPU work', async (gpu) => {
    const x = gpu.zeroed([1, 2, 7, 7]);
    const w = gpu.zeroed([3, 2, 3, 3]);
    const dy = gpu.zeroed([1, 3, 3, 3]);
    const before = gpu.memoryInfo().buffers;
    expect(() => conv2dBackwardGpu(gpu, x, w, dy, { stride: 2 }, {}, { dxKind: 'forward' })).toThrow(RangeError);
    expect(gpu.memoryInfo().buffers).toBe(before);
    for (const t of [x, w, dy]) t.dispose();
  });
});

describe('conv2dBackward want', () => {
  const cs: Case = { n: 2, c: 4, h: 7, w: 6, cout: 6, k: 3, stride: 2, padding: 1, groups: 2 };
  const requests: [GradRequest, ('dx' | 'dw' | 'db')[]][] = [
    [{ input: true, weight: false, bias: false }, ['dx']],
    [{ input: false, weight: true, bias: false }, ['dw']],
    [{ input: false, weight: false, bias: true }, ['db']],
    [{ input: false }, ['dw', 'db']],
    [{ bias: false }, ['dx', 'dw']],
    [{}, ['dx', 'dw', 'db']],
  ];
  for (const [want, keys] of requests) {
    gpuIt(`conv2dBackward want ${JSON.stringify(want)} returns only ${keys.join(', ')}, each equal to the full computation`, async (gpu) => {
      const { xShape, wShape, yShape, params } = geometry(cs);
      const rng = new Rng(3);
      const x = rng.uniform(sizeOf(xShape));
      const w = rng.uniform(sizeOf(wShape));
      const dy = rng.uniform(sizeOf(yShape));
      const full = cpu.conv2dBackward(cpu.tensor(x, xShape), cpu.tensor(w, wShape), cpu.tensor(dy, yShape), params);
      for (const be of [cpu, gpu] as TrainingBackend[]) {
        const made = [be.tensor(x, xShape), be.tensor(w, wShape), be.tensor(dy, yShape)];
        const before = gpu.memoryInfo().buffers;
        const g = be.conv2dBackward(made[0], made[1], made[2], params, want);
        if (be === gpu) expect(gpu.memoryInfo().buffers - before, 'GPU buffers allocated').toBe(keys.length);
        for (const key of ['dx', 'dw', 'db'] as const) {
          const t = g[key];
          if (!keys.includes(key)) {
            expect(t, `${be.name} ${key}`).toBeUndefined();
            continue;
          }
          if (!t) throw new Error(`${be.name}: ${key} was asked for but not returned`);
          const ref = full[key] as CpuTensor;
          expect(t.shape).toEqual(ref.shape);
          expectClose(await t.read(), ref.data, TOL, `${be.name} ${key}`, ref.shape);
          t.dispose();
        }
        for (const m of made) m.dispose();
      }
    });
  }
});

describe('conv2dBackward bad input', () => {
  type Shapes = { x: number[]; w: number[]; dy: number[] };
  /** The CPU throws `type` matching `message`; the GPU throws the same before allocating or submitting anything. */
  async function expectBothThrow(s: Shapes, params: Conv2dParams, type: typeof ShapeError | typeof InvalidArgumentError, message: string | RegExp) {
    const gpu = await getGpu();
    for (const be of [cpu, gpu] as TrainingBackend[]) {
      const made = [be.zeros(s.x), be.zeros(s.w), be.zeros(s.dy)];
      const before = gpu.memoryInfo().buffers;
      const submits = gpu.submitCount;
      const call = () => be.conv2dBackward(made[0], made[1], made[2], params);
      expect(call, be.name).toThrow(type);
      expect(call, be.name).toThrow(message);
      expect(gpu.memoryInfo().buffers, `${be.name}: no buffer allocated`).toBe(before);
      expect(gpu.submitCount, `${be.name}: nothing submitted`).toBe(submits);
      for (const t of made) t.dispose();
    }
  }

  it('rejects dy whose shape is not the forward output, naming both shapes', async () => {
    await expectBothThrow(
      { x: [1, 6, 14, 14], w: [16, 6, 5, 5], dy: [1, 16, 14, 14] },
      { name: 'c3' },
      ShapeError,
      "conv2dBackward 'c3': dy has shape [1,16,14,14] but the forward output is [1,16,10,10] (input [1,6,14,14], weights [16,6,5,5])",
    );
    await expectBothThrow({ x: [2, 3, 9, 9], w: [4, 3, 3, 3], dy: [2, 4, 9, 9] }, { stride: 2, padding: 1 }, ShapeError, 'dy has shape [2,4,9,9] but the forward output is [2,4,5,5]');
    await expectBothThrow({ x: [2, 3, 9, 9], w: [4, 3, 3, 3], dy: [4, 7, 7] }, {}, ShapeError, 'conv2dBackward: dy has shape [4,7,7] but the forward output is [2,4,7,7]');
  });

  it('rejects a channel mismatch between x and w under its own name', async () => {
    await expectBothThrow(
      { x: [1, 6, 14, 14], w: [16, 16, 5, 5], dy: [1, 16, 10, 10] },
      { name: 'c3' },
      ShapeError,
      "conv2dBackward 'c3': input has 6 channels, weights expect 16 (input [1,6,14,14], weights [16,16,5,5])",
    );
  });

  it('rejects a bad rank, window, stride and connection table', async () => {
    await expectBothThrow({ x: [6, 14, 14], w: [16, 6, 5, 5], dy: [1, 16, 10, 10] }, {}, ShapeError, 'conv2dBackward: input must have rank 4, got [6,14,14]');
    await expectBothThrow({ x: [1, 2, 4, 4], w: [3, 2, 5, 5], dy: [1, 3, 1, 1] }, {}, ShapeError, 'conv2dBackward: window 5 is larger than the padded input 4');
    await expectBothThrow({ x: [1, 2, 4, 4], w: [3, 2, 3, 3], dy: [1, 3, 2, 2] }, { stride: 0 }, InvalidArgumentError, 'conv2dBackward: stride must be positive integers');
    await expectBothThrow(
      { x: [1, 3, 6, 6], w: [3, 3, 3], dy: [1, 2, 4, 4] },
      { connectionTable: [[0, 3], [1]] },
      ShapeError,
      'conv2dBackward: connectionTable[0] names input map 3, but the input has 3 maps (0..2)',
    );
  });
});
