// Occupancy-aware kernel choice (issue 18): the split-K rule, the forward GEMMs' split-K paths
// (conv2d `gemm`, matmul `tiled` and `gemv`, then `split_sum`) against the CPU reference under
// the default hardware tuning (which splits small outputs; SwiftShader's own entry never does),
// eagerly and inside a plan, and the zoo's dispatch report at 224×224 against the target: at
// most 10% of multiply-adds in dispatches of fewer than 128 workgroups.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WebGpuBackend, createModel, ZOO_NAMES, SMALL_DISPATCH_WORKGROUPS,
  type Activation, type Backend, type Conv2dParams, type Padding2d, type Tensor,
} from 'webcnn';
import { gpuIt, compareWithCpu, cpu, getGpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';
import { bestKSplit, kSplit } from '../src/backends/webgpu/kernels/split_k.js';
import { selectConv2dGemm, selectConv2dTile } from '../src/backends/webgpu/kernels/conv2d.js';
import { CONV2D_TUNING, OCCUPANCY_TUNING } from '../src/backends/webgpu/tuning.js';
import { inferConv2d } from '../src/ops/conv2d.js';

// Sums of up to a few hundred products of values in [-1, 1], in chunks, in f32 against f64.
const TOL = { atol: 1e-4, rtol: 1e-4 };
const DEFAULT_ADAPTER = { vendor: '', architecture: '' };
const SOFTWARE = OCCUPANCY_TUNING['google/swiftshader'];

describe('split-K rule', () => {
  it('cuts K into whole K slices', () => {
    expect(kSplit(288, 4, 16)).toEqual({ splits: 4, kChunk: 80 });
    expect(kSplit(100, 1, 16)).toEqual({ splits: 1, kChunk: 112 });
    expect(kSplit(20, 8, 16)).toEqual({ splits: 2, kChunk: 16 });
  });

  it('splits only when the tiles are fewer than the target, and not below minKPerSplit', () => {
    const t = OCCUPANCY_TUNING.default;
    const shape = { tileWork: 100, step: 16, outputs: 1000 };
    expect(bestKSplit(t, { ...shape, workgroups: t.targetWorkgroups, k: 4096 }).split.splits).toBe(1);
    expect(bestKSplit(t, { ...shape, workgroups: 8, k: 4096 }).split.splits).toBeGreaterThan(1);
    expect(bestKSplit(t, { ...shape, workgroups: 8, k: t.minKPerSplit }).split.splits).toBe(1);
    expect(bestKSplit(t, { ...shape, workgroups: 8, k: 4096, maxSplits: 3 }).split.splits).toBeLessThanOrEqual(3);
  });

  it("the software adapter's entry keeps the choice by work alone: selectConv2dTile's tile, never a split", () => {
    for (const m of [1, 4, 16, 37, 64, 512]) {
      for (const n of [1, 49, 196, 3136]) {
        const chosen = selectConv2dGemm(CONV2D_TUNING.default, SOFTWARE, { m, n, k: 4608, groups: 1 });
        expect(chosen.split.splits).toBe(1);
        expect(chosen.name).toBe(selectConv2dTile(CONV2D_TUNING.default, m, n).name);
      }
    }
  });

  it("ResNet's layer4 3×3 at batch 1 (512 channels × 49 pixels, K 4608) splits K under the default tuning", () => {
    const chosen = selectConv2dGemm(CONV2D_TUNING.default, OCCUPANCY_TUNING.default, { m: 512, n: 49, k: 4608, groups: 1 });
    expect(chosen.split.splits).toBeGreaterThan(1);
  });
});

// A backend on the test device that chooses kernels as an unknown hardware adapter would.
let hardware: Promise<WebGpuBackend> | null = null;
async function hardwareTuned(): Promise<WebGpuBackend> {
  const gpu = await getGpu();
  hardware ??= WebGpuBackend.create({ context: gpu.ctx, debug: { tuningAdapter: DEFAULT_ADAPTER } });
  return hardware;
}
afterAll(async () => (await hardware)?.dispose());

interface ConvCase {
  n: number;
  c: number;
  h: number;
  w: number;
  cout: number;
  k: number;
  stride?: number;
  padding?: Padding2d;
  dilation?: number;
  groups?: number;
  bias: boolean;
  act?: Activation;
}

/** Whether a case takes the split-K GEMM under the default tuning. */
function convSplits(cs: ConvCase): number {
  const g = cs.groups ?? 1;
  const cfg = inferConv2d([cs.n, cs.c, cs.h, cs.w], [cs.cout, cs.c / g, cs.k, cs.k], undefined, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });
  const shape = { m: cfg.outPerGroup, n: cfg.batch * cfg.outH * cfg.outW, k: cfg.inPerGroup * cs.k * cs.k, groups: g };
  return selectConv2dGemm(CONV2D_TUNING.default, OCCUPANCY_TUNING.default, shape).split.splits;
}

function convBuild(rng: Rng, cs: ConvCase) {
  const g = cs.groups ?? 1;
  const xShape = [cs.n, cs.c, cs.h, cs.w];
  const wShape = [cs.cout, cs.c / g, cs.k, cs.k];
  const x = rng.uniform(cs.n * cs.c * cs.h * cs.w);
  const w = rng.uniform(cs.cout * (cs.c / g) * cs.k * cs.k);
  const b = cs.bias ? rng.uniform(cs.cout) : undefined;
  const params: Conv2dParams = { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, activation: cs.act };
  return (be: Backend, t: (d: Float32Array, s: number[]) => Tensor) => be.conv2d(t(x, xShape), t(w, wShape), b && t(b, [cs.cout]), params);
}

const SPLIT_CONV_CASES: ConvCase[] = [
  { n: 1, c: 16, h: 6, w: 6, cout: 20, k: 3, padding: 1, bias: true, act: 'relu' },
  { n: 2, c: 12, h: 7, w: 5, cout: 9, k: 3, stride: 2, padding: [1, 0, 2, 1], bias: true, act: 'tanh' },
  { n: 3, c: 24, h: 4, w: 4, cout: 10, k: 3, groups: 2, bias: false }, // 5 channels per group, K 108
  { n: 1, c: 40, h: 5, w: 5, cout: 70, k: 3, padding: 'same', bias: true, act: { type: 'leakyRelu', alpha: 0.1 } }, // two tiles along M
  { n: 2, c: 96, h: 3, w: 3, cout: 8, k: 1, bias: true, act: 'relu6' }, // 1×1, K 96
  { n: 1, c: 9, h: 9, w: 9, cout: 6, k: 5, dilation: 2, padding: 4, bias: true, act: 'sigmoid' },
  { n: 2, c: 64, h: 2, w: 3, cout: 36, k: 3, stride: 3, padding: 2, groups: 4, bias: true, act: 'scaledTanh' },
];

describe('conv2d split-K (default hardware tuning) vs CPU', () => {
  it('every case splits K', () => {
    for (const cs of SPLIT_CONV_CASES) expect(convSplits(cs), JSON.stringify(cs)).toBeGreaterThan(1);
  });
  const rng = new Rng(18);
  for (const cs of SPLIT_CONV_CASES) {
    gpuIt(`conv2d split-K ${JSON.stringify(cs)}`, async () => {
      await compareWithCpu(await hardwareTuned(), convBuild(rng, cs), TOL);
    });
  }

  gpuIt('conv2d depthwise with a smaller workgroup to launch more of them', async () => {
    const be = await hardwareTuned();
    await compareWithCpu(be, convBuild(rng, { n: 1, c: 8, h: 7, w: 7, cout: 8, k: 3, padding: 1, groups: 8, bias: true, act: 'relu6' }), TOL);
    expect(be.pipelines.keys().some((k) => k.startsWith('conv2d:depthwise{') && k.includes('WG=32'))).toBe(true);
  });
});

interface MatmulCase {
  M: number;
  K: number;
  N: number;
  transposeA?: boolean;
  transposeB?: boolean;
  batch?: number;
  bias?: boolean;
  activation?: Activation;
}

function matmulBuild(rng: Rng, c: MatmulCase) {
  const lead = c.batch === undefined ? [] : [c.batch];
  const a = [...lead, ...(c.transposeA ? [c.K, c.M] : [c.M, c.K])];
  const b = [...lead, ...(c.transposeB ? [c.N, c.K] : [c.K, c.N])];
  const av = rng.uniform(a.reduce((p, d) => p * d, 1));
  const bv = rng.uniform(b.reduce((p, d) => p * d, 1));
  const biasV = rng.uniform(c.N);
  return (be: Backend, t: (d: Float32Array, s: number[]) => Tensor) =>
    be.matmul(t(av, a), t(bv, b), { transposeA: c.transposeA, transposeB: c.transposeB, bias: c.bias ? t(biasV, [c.N]) : undefined, activation: c.activation });
}

describe('matmul split-K (default hardware tuning) vs CPU', () => {
  const rng = new Rng(180);
  const cases: MatmulCase[] = [
    { M: 9, K: 300, N: 7, bias: true, activation: 'relu' }, // tiled
    { M: 13, K: 257, N: 5, transposeA: true, transposeB: true },
    { M: 6, K: 130, N: 70, transposeB: true, bias: true, activation: 'tanh' },
    { M: 7, K: 200, N: 9, batch: 3, transposeA: true, bias: true, activation: { type: 'clip', min: -0.5, max: 0.5 } },
    { M: 1, K: 1000, N: 10, transposeB: true, bias: true, activation: 'sigmoid' }, // gemv
    { M: 3, K: 515, N: 6, batch: 2, transposeB: true },
  ];
  for (const c of cases) {
    gpuIt(`matmul split-K ${JSON.stringify(c)}`, async (gpu) => {
      // A fresh backend, so that it reports every pipeline this case uses.
      const keys: string[] = [];
      const be = await WebGpuBackend.create({ context: gpu.ctx, debug: { tuningAdapter: DEFAULT_ADAPTER, dumpWgsl: (key) => keys.push(key) } });
      try {
        await compareWithCpu(be, matmulBuild(rng, c), TOL);
      } finally {
        be.dispose();
      }
      const kernel = c.M <= 4 ? 'matmul:gemv{' : 'matmul:tiled{';
      expect(keys.some((k) => k.startsWith(kernel) && k.includes('PARTIAL=1')), keys.join(' ')).toBe(true);
      expect(keys.some((k) => k.startsWith('split_sum:main{')), keys.join(' ')).toBe(true);
    });
  }

  gpuIt('the split-K paths inside a recorded plan (partials planned like any tensor) give what the CPU does', async () => {
    const be = await hardwareTuned();
    const r = new Rng(7);
    const x = r.uniform(2 * 32 * 5 * 5);
    const w1 = r.uniform(24 * 32 * 3 * 3, -0.2, 0.2);
    const b1 = r.uniform(24);
    const w2 = r.uniform(10 * 24 * 3 * 3, -0.2, 0.2);
    const fc = r.uniform(7 * 10 * 9, -0.2, 0.2);
    const build = (b: Backend, input: Tensor, keep: Tensor[]) => {
      const t = (d: Float32Array, s: number[]) => {
        const v = b.tensor(d, s);
        keep.push(v);
        return v;
      };
      const h1 = b.conv2d(input, t(w1, [24, 32, 3, 3]), t(b1, [24]), { padding: 1, activation: 'relu' });
      const h2 = b.conv2d(h1, t(w2, [10, 24, 3, 3]), undefined, { stride: 2, padding: 1, activation: 'tanh' });
      return b.dense(b.reshape(h2, [2, 90]), t(fc, [7, 90]), undefined, 'sigmoid');
    };
    const keep: Tensor[] = [];
    const ref = build(cpu, cpu.tensor(x, [2, 32, 5, 5]), keep);
    const want = await ref.read();
    const plan = await be.compile([[2, 32, 5, 5]], ([input]) => [build(be, input, keep)]);
    try {
      const [got] = await plan.run([x]);
      expectClose(got, want, TOL, 'plan', ref.shape);
    } finally {
      plan.dispose();
      ref.dispose();
      for (const t of keep) t.dispose();
    }
  });
});

// Recording needs the weights on the device; AlexNet's and VGG-16's 4096-wide classifiers
// (most of their parameters, under 1% of their multiply-adds) would make this minutes of
// random initialisation, so they get 512 hidden units here. bench/dispatch-report.ts reports
// the full-size models.
describe('dispatch report of the zoo at 224×224, batch 1', () => {
  for (const name of ZOO_NAMES) {
    gpuIt(`${name}: under the default tuning at most 10% of multiply-adds are in dispatches of < ${SMALL_DISPATCH_WORKGROUPS} workgroups`, async () => {
      const classifierHidden = name === 'alexnet' || name === 'vgg16' ? 512 : undefined;
      const model = createModel(name, { inputSize: 224, classifierHidden, backend: await hardwareTuned() });
      try {
        const r = await model.dispatchReport(1);
        expect(r.totalMacs).toBeGreaterThan(0);
        expect(r.dispatches.length).toBeGreaterThan(0);
        expect(r.smallMacsShare, `${(100 * r.smallMacsShare).toFixed(1)}% in small dispatches`).toBeLessThanOrEqual(0.1);
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});

describe('dispatchReport', () => {
  gpuIt('records without compiling or running, and leaves no buffer behind', async (gpu) => {
    const be = await WebGpuBackend.create({ context: gpu.ctx });
    try {
      const { pipelines: _p, ...before } = be.memoryInfo();
      const model = createModel('googlenet', { inputSize: 64, numClasses: 10, backend: be });
      const r = await model.dispatchReport(2);
      model.dispose();
      const { pipelines, ...after } = be.memoryInfo();
      expect(after).toEqual(before);
      expect(pipelines).toBe(0);
      expect(r.dispatches.some((d) => d.kernel === 'concat:main' || d.kernel.startsWith('concat'))).toBe(true);
      expect(r.dispatches.filter((d) => d.macs > 0).every((d) => d.scope !== '')).toBe(true);
    } finally {
      be.dispose();
    }
  });
});

describe('webcnn dispatches', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const webcnn = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'webcnn.js'), 'dispatches', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it('--json reports the dispatches under the tuning asked for', () => {
    const r = webcnn(['lenet5', '--tuning', 'default', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { model: string; tuning: string; dispatches: { workgroups: number; macs: number }[]; totalMacs: number; smallWorkgroups: number; smallMacsShare: number };
    expect(report).toMatchObject({ model: 'lenet5', tuning: 'default', smallWorkgroups: SMALL_DISPATCH_WORKGROUPS });
    expect(report.dispatches.length).toBeGreaterThan(0);
    expect(report.totalMacs).toBe(report.dispatches.reduce((s, d) => s + d.macs, 0));
    // LeNet-5 at 32×32 is too small to fill a GPU whatever the kernels.
    expect(report.smallMacsShare).toBeGreaterThan(0.5);
  });

  it('refuses a malformed --tuning in one line', () => {
    const r = webcnn(['lenet5', '--tuning', 'a/b/c']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^webcnn: dispatches: --tuning must be/);
  });
});
