// GPU vs CPU reference for conv2d: the implicit-GEMM kernel over a sweep of kernel sizes,
// strides, padding forms, dilation, groups, batch sizes and fused activations, and each of its
// tiles (narrow, small, medium, wide, column and tall: chosen by M and N); the depthwise kernel (groups = C, channel
// multipliers); the direct kernel (debug.forceNaive); LeNet-5's C3 connection table; which
// kernel and tile each shape gets; and errors on bad input.
import { describe, it, expect } from 'vitest';
import { WebGpuBackend, ShapeError, InvalidArgumentError, type Activation, type Backend, type Conv2dParams, type Padding2d, type Tensor } from 'webcnn';
import { gpuIt, compareWithCpu, cpu, getGpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';
import { selectConv2dTile } from '../src/backends/webgpu/kernels/conv2d.js';
import { CONV2D_TUNING } from '../src/backends/webgpu/tuning.js';
import { inferConv2d } from '../src/ops/conv2d.js';

// Sums of up to a few hundred products of values in [-1, 1]: f32 against the f64 reference.
const TOL = { atol: 1e-4, rtol: 1e-4 };

interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  cout: number;
  k: number | [number, number];
  stride?: number | [number, number];
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
  bias: boolean;
  act?: Activation;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** The GEMM tile a case selects (by M, output channels per group, and N, output pixels), as named in CONV2D_TUNING. */
const tileName = (cs: Case) => {
  const [kh, kw] = pair(cs.k);
  const g = cs.groups ?? 1;
  const cfg = inferConv2d([cs.n, cs.c, cs.h, cs.w], [cs.cout, cs.c / g, kh, kw], undefined, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });
  return selectConv2dTile(CONV2D_TUNING.default, cfg.outPerGroup, cfg.batch * cfg.outH * cfg.outW).name;
};

function caseName(op: string, cs: Case): string {
  const [kh, kw] = pair(cs.k);
  const parts = [
    op,
    `k${kh}x${kw}`,
    `s${JSON.stringify(cs.stride ?? 1)}`,
    `p${JSON.stringify(cs.padding ?? 0)}`,
    `d${JSON.stringify(cs.dilation ?? 1)}`,
    `g${cs.groups ?? 1}`,
    `x[${cs.n},${cs.c},${cs.h},${cs.w}]`,
    `cout${cs.cout}`,
    cs.bias ? 'bias' : 'nobias',
    JSON.stringify(cs.act ?? 'none'),
  ];
  return parts.join(' ');
}

/** Makes the case's data once (the same values go to the CPU and the GPU). */
function caseData(rng: Rng, cs: Case) {
  const [kh, kw] = pair(cs.k);
  const g = cs.groups ?? 1;
  const xShape = [cs.n, cs.c, cs.h, cs.w];
  const wShape = [cs.cout, cs.c / g, kh, kw];
  const x = rng.uniform(cs.n * cs.c * cs.h * cs.w);
  const w = rng.uniform(cs.cout * (cs.c / g) * kh * kw);
  const b = cs.bias ? rng.uniform(cs.cout) : undefined;
  const params: Conv2dParams = { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, activation: cs.act };
  return (be: Backend, t: (d: Float32Array, s: number[]) => Tensor) =>
    be.conv2d(t(x, xShape), t(w, wShape), b && t(b, [cs.cout]), params);
}

/** Like caseData, in connection-table mode: `cs.cout` must be the table's row count, groups 1. */
function tableCaseData(rng: Rng, cs: Case, table: number[][]) {
  const [kh, kw] = pair(cs.k);
  const pairs = table.reduce((s, row) => s + row.length, 0);
  const xShape = [cs.n, cs.c, cs.h, cs.w];
  const x = rng.uniform(cs.n * cs.c * cs.h * cs.w);
  const w = rng.uniform(pairs * kh * kw);
  const b = cs.bias ? rng.uniform(table.length) : undefined;
  const params: Conv2dParams = { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, activation: cs.act, connectionTable: table };
  return (be: Backend, t: (d: Float32Array, s: number[]) => Tensor) => be.conv2d(t(x, xShape), t(w, [pairs, kh, kw]), b && t(b, [table.length]), params);
}

const CASES: Case[] = [
  // 1×1: a plain matmul through the same GEMM.
  { n: 1, c: 3, h: 7, w: 9, cout: 5, k: 1, bias: true },
  { n: 3, c: 7, h: 9, w: 9, cout: 4, k: 1, stride: 2, bias: true, act: 'relu' },
  { n: 2, c: 6, h: 5, w: 7, cout: 9, k: 1, groups: 3, bias: false, act: 'tanh' },
  { n: 1, c: 5, h: 6, w: 5, cout: 70, k: 1, bias: true }, // two tiles along M
  // 3×3
  { n: 1, c: 3, h: 11, w: 13, cout: 8, k: 3, padding: 1, bias: true, act: 'relu' },
  { n: 3, c: 5, h: 9, w: 11, cout: 7, k: 3, stride: 2, padding: 1, bias: true, act: 'sigmoid' },
  { n: 1, c: 7, h: 13, w: 10, cout: 6, k: 3, stride: 3, padding: [0, 1, 2, 1], bias: false },
  { n: 2, c: 4, h: 10, w: 7, cout: 5, k: 3, stride: 2, padding: 'same', bias: true, act: 'tanh' },
  { n: 1, c: 5, h: 8, w: 9, cout: 3, k: 3, padding: 'valid', bias: true, act: { type: 'clip', min: -0.5, max: 0.5 } },
  { n: 1, c: 3, h: 11, w: 11, cout: 5, k: 3, dilation: 2, padding: 2, bias: true, act: { type: 'leakyRelu', alpha: 0.1 } },
  { n: 2, c: 3, h: 9, w: 12, cout: 4, k: 3, dilation: [2, 1], stride: [1, 2], padding: [2, 1], bias: false },
  { n: 2, c: 5, h: 6, w: 6, cout: 70, k: 3, padding: 1, bias: true, act: 'relu6' }, // two tiles along M
  { n: 1, c: 3, h: 7, w: 7, cout: 4, k: 3, padding: 3, bias: true }, // padding wider than the kernel
  { n: 3, c: 2, h: 15, w: 17, cout: 3, k: 3, stride: 2, padding: [1, 0], bias: false, act: 'relu' },
  // 5×5
  { n: 1, c: 1, h: 32, w: 32, cout: 6, k: 5, bias: true, act: 'scaledTanh' }, // LeNet-5 C1
  { n: 2, c: 5, h: 15, w: 13, cout: 7, k: 5, stride: 2, padding: 'same', bias: true },
  { n: 1, c: 3, h: 17, w: 15, cout: 4, k: 5, dilation: 2, padding: [2, 1, 2, 1], bias: true, act: 'relu' },
  { n: 1, c: 3, h: 5, w: 5, cout: 4, k: 5, bias: true }, // window = input: 1×1 output
  // 11×11 stride 4 (AlexNet conv1 geometry on a small input).
  { n: 1, c: 3, h: 23, w: 23, cout: 8, k: 11, stride: 4, bias: true, act: 'relu' },
  { n: 3, c: 3, h: 27, w: 25, cout: 5, k: 11, stride: 4, padding: 2, bias: false },
  // Rectangular and even kernels.
  { n: 2, c: 3, h: 9, w: 11, cout: 5, k: [3, 5], padding: [1, 2], bias: true },
  { n: 1, c: 4, h: 8, w: 13, cout: 3, k: [1, 7], padding: 'same', bias: false, act: 'sigmoid' },
  { n: 2, c: 3, h: 10, w: 9, cout: 6, k: 2, stride: 2, bias: true },
  // Groups.
  { n: 2, c: 6, h: 9, w: 7, cout: 4, k: 3, padding: 1, groups: 2, bias: true },
  { n: 1, c: 9, h: 11, w: 12, cout: 6, k: 5, stride: 2, padding: 'same', groups: 3, bias: true, act: 'relu' },
  { n: 3, c: 6, h: 7, w: 9, cout: 15, k: 3, groups: 3, bias: false, act: 'tanh' },
  { n: 1, c: 10, h: 8, w: 8, cout: 10, k: 3, padding: 1, dilation: 2, groups: 2, bias: true },
  // Depthwise (groups = C = Cout), and channel multiplier 2 (Cout = 2C).
  { n: 1, c: 7, h: 9, w: 11, cout: 7, k: 3, padding: 1, groups: 7, bias: true, act: 'relu6' },
  { n: 3, c: 5, h: 10, w: 9, cout: 5, k: 3, stride: 2, padding: 'same', groups: 5, bias: false },
  { n: 2, c: 5, h: 8, w: 7, cout: 10, k: 3, padding: 1, groups: 5, bias: true, act: { type: 'leakyRelu', alpha: 0.2 } },
  { n: 1, c: 3, h: 13, w: 11, cout: 6, k: 3, dilation: 2, padding: [2, 2, 1, 0], groups: 3, bias: true },
  { n: 3, c: 8, h: 9, w: 9, cout: 8, k: 5, padding: 2, groups: 8, bias: true, act: 'sigmoid' },
];

/** Every GEMM tile of CONV2D_TUNING.default, chosen by M (channels per group) and N (pixels); the test below checks all are covered. */
const TILE_CASES: Case[] = [
  // narrow (4×256): M ≤ 4, several N tiles of 256 pixels.
  { n: 3, c: 3, h: 14, w: 13, cout: 3, k: 3, padding: 1, bias: true, act: 'relu' },
  { n: 2, c: 6, h: 11, w: 9, cout: 4, k: 3, stride: 2, groups: 2, bias: false },
  // small (16×256): LeNet-5 C3 at batch 4 (N = 400, two tiles), and odd shapes.
  { n: 4, c: 6, h: 14, w: 14, cout: 16, k: 5, bias: true, act: 'scaledTanh' },
  { n: 3, c: 5, h: 9, w: 10, cout: 11, k: 3, stride: [2, 1], padding: [1, 0, 2, 1], bias: true, act: 'sigmoid' },
  { n: 2, c: 7, h: 12, w: 11, cout: 13, k: 3, dilation: 2, padding: 2, bias: false, act: 'relu6' },
  { n: 2, c: 4, h: 8, w: 9, cout: 14, k: 1, groups: 2, bias: true }, // 7 channels per group
  // medium (32×128)
  { n: 2, c: 5, h: 10, w: 9, cout: 24, k: 3, padding: 1, bias: true, act: 'relu' },
  { n: 3, c: 9, h: 7, w: 8, cout: 30, k: 3, stride: 2, padding: 'same', groups: 3, bias: false }, // 10 per group
  { n: 1, c: 4, h: 9, w: 9, cout: 29, k: 5, padding: 2, bias: true },
  // wide (64×64) with a K that is not a multiple of the K-slice.
  { n: 2, c: 3, h: 9, w: 10, cout: 37, k: 3, stride: 2, padding: 1, bias: true, act: 'tanh' },
  { n: 2, c: 8, h: 12, w: 12, cout: 64, k: 3, padding: 1, bias: true },
  // column (64×16): many channels over few pixels (a small image's last stages).
  { n: 1, c: 6, h: 8, w: 8, cout: 45, k: 3, stride: 2, padding: 1, bias: true, act: 'relu' },
  { n: 2, c: 10, h: 4, w: 4, cout: 70, k: 3, padding: 1, groups: 2, bias: false }, // 35 per group
  // tall (64×4): a fully-connected conv at batch 1 (LeNet-5 C5), a 2×2 output.
  { n: 1, c: 5, h: 5, w: 5, cout: 37, k: 5, bias: true, act: 'scaledTanh' },
  { n: 1, c: 9, h: 5, w: 5, cout: 70, k: 3, stride: 2, bias: false },
  { n: 3, c: 4, h: 3, w: 3, cout: 33, k: 3, bias: true }, // N = 3: one partial quad of pixels
];

/** The depthwise kernel: groups = C, channel multiplier Cout / C, 4 outputs along W per invocation. */
const DEPTHWISE_CASES: Case[] = [
  { n: 2, c: 6, h: 13, w: 14, cout: 6, k: 3, padding: 1, groups: 6, bias: true, act: 'relu6' },
  { n: 3, c: 5, h: 11, w: 13, cout: 5, k: 3, stride: 2, padding: 1, groups: 5, bias: true },
  { n: 2, c: 3, h: 12, w: 15, cout: 6, k: 3, stride: [2, 1], padding: [1, 2, 0, 1], groups: 3, bias: false, act: 'relu' }, // multiplier 2
  { n: 1, c: 4, h: 15, w: 17, cout: 8, k: 3, dilation: 2, padding: 2, groups: 4, bias: true, act: 'tanh' }, // multiplier 2
  { n: 2, c: 3, h: 10, w: 11, cout: 9, k: [3, 5], stride: 2, dilation: [1, 2], padding: 'same', groups: 3, bias: true }, // multiplier 3
  { n: 1, c: 7, h: 9, w: 6, cout: 7, k: 5, padding: 2, groups: 7, bias: false, act: { type: 'leakyRelu', alpha: 0.1 } },
  { n: 2, c: 4, h: 8, w: 9, cout: 4, k: 3, stride: 3, padding: 3, groups: 4, bias: true }, // padding wider than the kernel
  { n: 1, c: 2, h: 6, w: 5, cout: 4, k: 1, stride: 2, groups: 2, bias: true }, // 1×1, Wo = 3 (one partial quad)
  { n: 2, c: 1, h: 28, w: 28, cout: 6, k: 5, padding: 2, bias: true, act: 'tanh' }, // C = 1 (LeNet C1): groups = C = 1
];

/** Random valid cases on top of the fixed list. */
function randomCases(rng: Rng, count: number): Case[] {
  const acts: Activation[] = ['none', 'relu', 'sigmoid', 'tanh', 'scaledTanh', 'relu6', { type: 'leakyRelu', alpha: 0.05 }];
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const k = rng.pick([1, 2, 3, 3, 5]);
    const dilation = k > 1 ? rng.pick([1, 1, 2]) : 1;
    const eff = (k - 1) * dilation + 1;
    const stride = rng.int(1, 3);
    const padding = rng.pick<Padding2d>([0, Math.floor(eff / 2), 'same', 'valid', [rng.int(0, 2), rng.int(0, 2), rng.int(0, 2), rng.int(0, 2)]]);
    const groups = rng.pick([1, 1, 1, 2, 3]);
    const c = groups * rng.int(1, 4);
    const cout = groups * rng.int(1, 4);
    out.push({
      n: rng.int(1, 3),
      c,
      h: rng.int(eff, eff + 9),
      w: rng.int(eff, eff + 9),
      cout,
      k,
      stride,
      padding,
      dilation,
      groups,
      bias: rng.next() < 0.6,
      act: rng.pick(acts),
    });
  }
  return out;
}

describe('conv2d implicit GEMM and depthwise vs CPU', () => {
  const rng = new Rng(2024);
  const cases = [...CASES, ...randomCases(new Rng(77), 16)];
  for (const cs of cases) {
    gpuIt(caseName('conv2d', cs), async (gpu) => {
      await compareWithCpu(gpu, caseData(rng, cs), TOL);
    });
  }
});

describe('conv2d GEMM tiles vs CPU', () => {
  it('the cases cover every tile of the default tuning', () => {
    expect(new Set(TILE_CASES.map(tileName))).toEqual(new Set(CONV2D_TUNING.default.gemm.map((e) => e.name)));
  });
  const rng = new Rng(16);
  for (const cs of TILE_CASES) {
    gpuIt(caseName(`conv2d tile-${tileName(cs)}`, cs), async (gpu) => {
      await compareWithCpu(gpu, caseData(rng, cs), TOL);
    });
  }
});

describe('conv2d depthwise kernel vs CPU', () => {
  const rng = new Rng(32);
  for (const cs of DEPTHWISE_CASES) {
    gpuIt(caseName(`conv2d depthwise x${cs.cout / cs.c}`, cs), async (gpu) => {
      await compareWithCpu(gpu, caseData(rng, cs), TOL);
    });
  }
});

// A second backend on the same device, with the naive kernels.
let naive: Promise<WebGpuBackend> | null = null;
async function naiveBackend(): Promise<WebGpuBackend> {
  const gpu = await getGpu();
  naive ??= WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
  return naive;
}

describe('conv2d direct kernel (forceNaive) vs CPU', () => {
  const rng = new Rng(5);
  const cases: Case[] = [
    { n: 2, c: 5, h: 9, w: 11, cout: 7, k: 3, stride: 2, padding: 1, bias: true, act: 'relu' },
    { n: 1, c: 6, h: 10, w: 9, cout: 4, k: 3, padding: 'same', groups: 2, bias: false },
    { n: 3, c: 5, h: 8, w: 7, cout: 10, k: 3, padding: 1, groups: 5, bias: true, act: 'tanh' },
    { n: 1, c: 3, h: 13, w: 11, cout: 5, k: 5, dilation: 2, padding: [2, 1, 0, 3], bias: true },
    { n: 1, c: 3, h: 23, w: 23, cout: 4, k: 11, stride: 4, bias: true, act: 'scaledTanh' },
    { n: 2, c: 7, h: 5, w: 6, cout: 3, k: 1, bias: false },
  ];
  for (const cs of cases) {
    gpuIt(caseName('conv2d naive', cs), async () => {
      await compareWithCpu(await naiveBackend(), caseData(rng, cs), TOL);
    });
  }
});

describe('conv2d kernel selection', () => {
  gpuIt('conv2d picks the depthwise kernel for groups = C, a GEMM tile by M and N, and the direct kernel under forceNaive', async (gpu) => {
    const rng = new Rng(9);
    // A fresh backend on the same device, so its pipeline cache starts empty and reports every pipeline.
    const run = async (debug: { forceNaive?: boolean }, cs: Case, table?: number[][]) => {
      const keys: string[] = [];
      const be = await WebGpuBackend.create({ context: gpu.ctx, debug: { ...debug, dumpWgsl: (key) => keys.push(key) } });
      try {
        await compareWithCpu(be, table ? tableCaseData(rng, cs, table) : caseData(rng, cs), TOL);
      } finally {
        be.dispose();
      }
      return keys;
    };
    const gemm = (wgX: number, wgY: number, tk: number) => [`conv2d:gemm{HAS_BIAS=1,TK=${tk},WG_X=${wgX},WG_Y=${wgY}}`];
    // N = 2 images × 16 × 15 pixels = 480; the tile by least modelled cost (CONV2D_TUNING).
    const dense = (cout: number, groups = 1): Case => ({ n: 2, c: 2 * groups, h: 18, w: 17, cout, k: 3, groups, bias: true });
    expect(await run({}, dense(3))).toEqual(gemm(64, 1, 8)); // narrow: 4×256
    expect(await run({}, dense(8))).toEqual(gemm(64, 1, 8)); // still narrow: two rows of tiles pad nothing
    expect(await run({}, dense(24, 2))).toEqual(gemm(64, 4, 8)); // small: 16×256 (M is per group: 12)
    expect(await run({}, dense(20))).toEqual(gemm(32, 8, 16)); // medium: 32×128
    expect(await run({}, dense(64))).toEqual(gemm(16, 16, 16)); // wide: 64×64
    // Few pixels: 16 (a 4×4 output) takes the column tile, 1 (fully connected) the tall one.
    expect(await run({}, { n: 1, c: 4, h: 6, w: 6, cout: 40, k: 3, bias: true })).toEqual(gemm(4, 16, 16)); // column: 64×16
    expect(await run({}, { n: 1, c: 4, h: 3, w: 3, cout: 40, k: 3, bias: true })).toEqual(gemm(1, 16, 16)); // tall: 64×4
    const depthwise: Case = { n: 1, c: 4, h: 6, w: 6, cout: 4, k: 3, groups: 4, bias: false, act: 'relu' };
    const multiplier2: Case = { ...depthwise, cout: 8, stride: 2, bias: true, act: undefined };
    const oneChannel: Case = { n: 1, c: 1, h: 6, w: 6, cout: 6, k: 3, bias: true };
    expect(await run({}, depthwise)).toEqual(['conv2d:depthwise{ACT=1,ACT_A=0,ACT_B=0,HAS_BIAS=0,WG=64}']);
    expect(await run({}, multiplier2)).toEqual(['conv2d:depthwise{HAS_BIAS=1,WG=64}']);
    expect(await run({}, oneChannel)).toEqual(['conv2d:depthwise{HAS_BIAS=1,WG=64}']);
    expect(await run({ forceNaive: true }, dense(8))).toEqual(['conv2d:direct{HAS_BIAS=1,WG=64}']);
    expect(await run({ forceNaive: true }, depthwise)).toEqual(['conv2d:direct{ACT=1,ACT_A=0,ACT_B=0,HAS_BIAS=0,WG=64}']);
    // Connection tables: expanded to dense weights, then the dense GEMM; the table's own direct kernel under forceNaive.
    const table = (debug: { forceNaive?: boolean }, rows: number[][], act?: Activation) =>
      run(debug, { n: 2, c: 3, h: 6, w: 5, cout: rows.length, k: 3, bias: true, act }, rows);
    const expand = 'conv2d_table:table_expand{WG=64}';
    expect(await table({}, [[0, 2], [1], [2, 1]], 'relu')).toEqual([expand, 'conv2d:gemm{ACT=1,ACT_A=0,ACT_B=0,HAS_BIAS=1,TK=8,WG_X=64,WG_Y=1}']);
    expect(await table({}, Array.from({ length: 8 }, (_, o) => [o % 3]))).toEqual([expand, ...gemm(4, 16, 16)]); // N = 24: column
    expect(await table({ forceNaive: true }, [[0, 2], [1], [2, 1]])).toEqual(['conv2d_table:main{HAS_BIAS=1,WG=64}']);
  });
});

/** LeNet-5 C3 (LeCun et al. 1998, table I): which of S2's 6 maps each of C3's 16 maps reads. */
const LENET_C3_TABLE: number[][] = [
  ...[0, 1, 2, 3, 4, 5].map((i) => [i, (i + 1) % 6, (i + 2) % 6]),
  ...[0, 1, 2, 3, 4, 5].map((i) => [i, (i + 1) % 6, (i + 2) % 6, (i + 3) % 6]),
  [0, 1, 3, 4],
  [1, 2, 4, 5],
  [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

describe('conv2d connection table (LeNet-5 C3)', () => {
  const rng = new Rng(1998);

  gpuIt('conv2d table LeNet-5 C3 x[2,6,14,14] k5x5 16 maps: 1,516 parameters, GPU = CPU', async (gpu) => {
    const pairs = LENET_C3_TABLE.reduce((s, row) => s + row.length, 0);
    expect(pairs).toBe(60);
    const weights = pairs * 5 * 5;
    expect(weights + 16).toBe(1516);
    const x = rng.uniform(2 * 6 * 14 * 14);
    const w = rng.uniform(weights, -0.3, 0.3);
    const b = rng.uniform(16);
    const params: Conv2dParams = { connectionTable: LENET_C3_TABLE, activation: 'scaledTanh', name: 'c3' };
    const build = (be: Backend, t: (d: Float32Array, s: number[]) => Tensor) => be.conv2d(t(x, [2, 6, 14, 14]), t(w, [pairs, 5, 5]), t(b, [16]), params);
    const { shape } = await compareWithCpu(gpu, build, TOL);
    expect(shape).toEqual([2, 16, 10, 10]);
    await compareWithCpu(await naiveBackend(), build, TOL, 'forceNaive backend');
  });

  // Through table_expand and the dense GEMM, and the same data by the table's direct kernel (forceNaive).
  const tables: [Case, number[][]][] = [
    [{ n: 3, c: 6, h: 14, w: 14, cout: 16, k: 5, bias: true, act: 'scaledTanh' }, LENET_C3_TABLE], // LeNet-5 C3, batch 3
    [{ n: 2, c: 7, h: 9, w: 8, cout: 5, k: 3, stride: 2, padding: 1, bias: true, act: 'relu' }, [[0, 6], [2], [6, 4, 0], [2, 6], [4]]], // maps 1, 3, 5 unread
    [{ n: 3, c: 5, h: 8, w: 9, cout: 4, k: 3, padding: 'same', bias: false }, [[3], [0, 1, 2, 3, 4], [1], [4, 2]]], // single-entry rows
    [{ n: 1, c: 4, h: 9, w: 10, cout: 3, k: [3, 2], dilation: 2, padding: [1, 0, 2, 1], bias: true }, [[1], [3], [2]]], // one input per output, dilated
  ];
  for (const [cs, table] of tables) {
    gpuIt(`${caseName('conv2d table', cs)} table ${JSON.stringify(table).slice(0, 40)}`, async (gpu) => {
      const data = tableCaseData(rng, cs, table);
      await compareWithCpu(gpu, data, TOL);
      await compareWithCpu(await naiveBackend(), data, TOL, 'forceNaive backend');
    });
  }

  gpuIt('conv2d table listing every input equals the dense conv (x[2,5,9,8] k3x3 s2 p1 cout4)', async (gpu) => {
    const [n, c, h, wd, cout] = [2, 5, 9, 8, 4];
    const x = rng.uniform(n * c * h * wd);
    const w = rng.uniform(cout * c * 9);
    const b = rng.uniform(cout);
    const table = Array.from({ length: cout }, () => [0, 1, 2, 3, 4]);
    const geometry: Conv2dParams = { stride: 2, padding: 1, activation: 'relu' };
    const dense = cpu.conv2d(cpu.tensor(x, [n, c, h, wd]), cpu.tensor(w, [cout, c, 3, 3]), cpu.tensor(b, [cout]), geometry);
    const ref = await dense.read();
    for (const be of [cpu, gpu] as Backend[]) {
      const made = [be.tensor(x, [n, c, h, wd]), be.tensor(w, [cout * c, 3, 3]), be.tensor(b, [cout])];
      const out = be.conv2d(made[0], made[1], made[2], { ...geometry, connectionTable: table });
      expect(out.shape).toEqual(dense.shape);
      expectClose(await out.read(), ref, be === cpu ? { atol: 1e-6, rtol: 1e-6 } : TOL, `${be.name} table vs dense`, dense.shape);
      out.dispose();
      for (const t of made) t.dispose();
    }
  });
});

describe('conv2d bad input', () => {
  type Shapes = { x: number[]; w: number[]; b?: number[] };
  /** The CPU throws `type` matching `message`; the GPU throws the same before allocating or recording anything. */
  async function expectBothThrow(s: Shapes, params: Conv2dParams, type: typeof ShapeError | typeof InvalidArgumentError, message: string | RegExp) {
    const gpu = await getGpu();
    for (const be of [cpu, gpu] as Backend[]) {
      const zeros = (shape: number[]) => be.zeros(shape);
      const made = [zeros(s.x), zeros(s.w), ...(s.b ? [zeros(s.b)] : [])];
      const before = gpu.memoryInfo().buffers;
      const submits = gpu.submitCount;
      const call = () => be.conv2d(made[0], made[1], made[2], params);
      expect(call, be.name).toThrow(type);
      expect(call, be.name).toThrow(message);
      expect(gpu.memoryInfo().buffers, `${be.name}: no buffer allocated`).toBe(before);
      expect(gpu.submitCount).toBe(submits);
      for (const t of made) t.dispose();
    }
  }

  it('rejects an input that is not rank 4', async () => {
    await expectBothThrow({ x: [6, 14, 14], w: [16, 6, 5, 5] }, {}, ShapeError, 'conv2d: input must have rank 4, got [6,14,14]');
  });

  it('rejects weights that are not rank 4', async () => {
    await expectBothThrow({ x: [1, 6, 14, 14], w: [16, 6, 5] }, {}, ShapeError, 'conv2d: weights must have rank 4 (Cout, C/groups, kH, kW), got [16,6,5]');
  });

  it('names the layer and both shapes on a channel mismatch', async () => {
    await expectBothThrow(
      { x: [1, 6, 14, 14], w: [16, 16, 5, 5] },
      { name: 'c3' },
      ShapeError,
      "conv2d 'c3': input has 6 channels, weights expect 16 (input [1,6,14,14], weights [16,16,5,5])",
    );
    await expectBothThrow({ x: [1, 6, 14, 14], w: [4, 2, 3, 3] }, { groups: 2 }, ShapeError, 'input has 6 channels, weights expect 2·2 groups = 4');
  });

  it('rejects groups that do not divide the channels', async () => {
    await expectBothThrow({ x: [1, 6, 8, 8], w: [4, 2, 3, 3] }, { groups: 4 }, ShapeError, 'groups 4 must divide both input channels 6 and output channels 4');
    await expectBothThrow({ x: [1, 6, 8, 8], w: [5, 3, 3, 3] }, { groups: 2 }, ShapeError, 'output channels 5');
    await expectBothThrow({ x: [1, 6, 8, 8], w: [6, 6, 3, 3] }, { groups: 0 }, InvalidArgumentError, 'groups must be a positive integer, got 0');
  });

  it('rejects non-positive stride and dilation', async () => {
    const s = { x: [1, 3, 8, 8], w: [4, 3, 3, 3] };
    await expectBothThrow(s, { stride: 0 }, InvalidArgumentError, 'conv2d: stride must be positive integers, got 0');
    await expectBothThrow(s, { stride: [1, -2] }, InvalidArgumentError, 'stride must be positive integers, got [1,-2]');
    await expectBothThrow(s, { dilation: 0, name: 'conv1' }, InvalidArgumentError, "conv2d 'conv1': dilation must be positive integers, got 0");
  });

  it('rejects negative padding', async () => {
    await expectBothThrow({ x: [1, 3, 8, 8], w: [4, 3, 3, 3] }, { padding: [1, -1] }, InvalidArgumentError, 'padding must be non-negative integers, got [1,-1]');
  });

  it('rejects a kernel larger than the padded input', async () => {
    await expectBothThrow(
      { x: [1, 3, 4, 4], w: [4, 3, 5, 5] },
      {},
      ShapeError,
      'conv2d: window 5 is larger than the padded input 4 (input [1,3,4,4], weights [4,3,5,5])',
    );
    await expectBothThrow({ x: [1, 3, 5, 5], w: [4, 3, 3, 3] }, { dilation: 3 }, ShapeError, 'window 7 is larger than the padded input 5');
  });

  it('rejects a bias of the wrong length', async () => {
    await expectBothThrow({ x: [1, 3, 8, 8], w: [4, 3, 3, 3], b: [3] }, {}, ShapeError, 'conv2d: bias must have shape [4] (one per output channel), got [3]');
  });

  it('rejects a connection table naming a missing map, a duplicate, or the wrong weight count', async () => {
    await expectBothThrow(
      { x: [1, 6, 14, 14], w: [4, 5, 5] },
      { connectionTable: [[0, 1], [5, 6]], name: 'c3' },
      ShapeError,
      "conv2d 'c3': connectionTable[1] names input map 6, but the input has 6 maps (0..5) (input [1,6,14,14], weights [4,5,5])",
    );
    await expectBothThrow({ x: [1, 6, 14, 14], w: [4, 5, 5] }, { connectionTable: [[0, 1], [2, 2]] }, InvalidArgumentError, 'connectionTable[1] lists input map 2 twice');
    await expectBothThrow(
      { x: [1, 6, 14, 14], w: [5, 5, 5] },
      { connectionTable: [[0, 1], [2, 3]] },
      ShapeError,
      'the connection table has 4 (output, input) pairs, so weights need 4·5·5 = 100 values, got 125',
    );
    await expectBothThrow({ x: [1, 6, 14, 14], w: [4, 5, 5], b: [4] }, { connectionTable: [[0, 1], [2, 3]] }, ShapeError, 'bias must have shape [2]');
    await expectBothThrow({ x: [1, 6, 14, 14], w: [4, 5, 5] }, { connectionTable: [[0, 1], [2, 3]], groups: 2 }, InvalidArgumentError, 'cannot be combined with groups = 2');
  });

  it('rejects an unknown fused activation', async () => {
    await expectBothThrow({ x: [1, 3, 8, 8], w: [4, 3, 3, 3] }, { activation: 'swoosh' as Activation }, InvalidArgumentError, 'unknown activation "swoosh"');
  });
});
