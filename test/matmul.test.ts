// GPU vs CPU reference: batched matmul (tiled kernel, gemv kernel for M ≤ 4 with B transposed,
// and the forceNaive kernel) with transposes, broadcast batches, fused bias + activation and
// sizes that do not divide the tile; the gemv selection rule; dense (PyTorch Linear layout, LeNet's F6 and output layer); LeNet-5's RBF layer;
// and the shape errors, which both backends throw before any GPU work.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, WebGpuBackend, type Activation, type Backend, type GpuContext, type Tensor } from 'webcnn';
import { gpuIt, compareWithCpu, cpu, expectBothRefuse } from './helpers/gpu.js';
import { selectGemvTiling, gemvSplit, GEMV_MIN_K_PER_SPLIT } from '../src/backends/webgpu/kernels/matmul.js';
import { MATMUL_GEMV_TUNING } from '../src/backends/webgpu/tuning.js';
import { Rng } from './helpers/random.js';

// Long reductions in float32 against a float64 reference.
const TOL = { atol: 1e-4, rtol: 1e-4 };

interface MatmulCase {
  M: number;
  K: number;
  N: number;
  transposeA?: boolean;
  transposeB?: boolean;
  /** Batch of a and b: undefined = rank 2; a number = rank 3 with that batch. */
  batchA?: number;
  batchB?: number;
  bias?: boolean;
  activation?: Activation;
}

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function operandShapes(c: MatmulCase): { a: number[]; b: number[] } {
  const a = c.transposeA ? [c.K, c.M] : [c.M, c.K];
  const b = c.transposeB ? [c.N, c.K] : [c.K, c.N];
  return { a: c.batchA === undefined ? a : [c.batchA, ...a], b: c.batchB === undefined ? b : [c.batchB, ...b] };
}

function caseName(c: MatmulCase): string {
  const { a, b } = operandShapes(c);
  const flags = [
    c.transposeA ? 'transposeA' : '',
    c.transposeB ? 'transposeB' : '',
    c.bias ? 'bias' : '',
    c.activation ? `act=${JSON.stringify(c.activation)}` : '',
  ].filter(Boolean);
  return `matmul M=${c.M} K=${c.K} N=${c.N} a${JSON.stringify(a)} b${JSON.stringify(b)} ${flags.join(' ')}`.trim();
}

/** Runs one case on both backends (with fresh random inputs) and compares. */
async function checkMatmul(gpu: WebGpuBackend, rng: Rng, c: MatmulCase): Promise<void> {
  const { a, b } = operandShapes(c);
  const av = rng.uniform(size(a));
  const bv = rng.uniform(size(b));
  const biasV = rng.uniform(c.N);
  const build = (be: Backend, t: (d: Float32Array, s: number[]) => Tensor): Tensor =>
    be.matmul(t(av, a), t(bv, b), {
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias: c.bias ? t(biasV, [c.N]) : undefined,
      activation: c.activation,
    });
  const { shape } = await compareWithCpu(gpu, build, TOL, caseName(c));
  const batched = c.batchA !== undefined || c.batchB !== undefined;
  expect(shape).toEqual(batched ? [Math.max(c.batchA ?? 1, c.batchB ?? 1), c.M, c.N] : [c.M, c.N]);
}

const ACTS: (Activation | undefined)[] = [undefined, 'relu', 'scaledTanh', 'sigmoid', { type: 'leakyRelu', alpha: 0.1 }, 'tanh', { type: 'clip', min: -0.5, max: 0.5 }];

// Rank-2 sweep: every size with each of the four transpose combinations. Bias and activation
// follow the transpose combination, so sizes share pipelines (each new specialisation costs
// ~0.5 s of shader compilation on SwiftShader); every activation is swept separately below.
const SIZES: [number, number, number][] = [
  [1, 1, 1], [7, 13, 5], [64, 64, 64], [65, 33, 17], [3, 200, 7], [1, 120, 84], [33, 70, 129], [16, 17, 3],
];
const EPILOGUES: { bias: boolean; activation?: Activation }[] = [
  { bias: true, activation: 'relu' },
  { bias: false },
  { bias: true, activation: 'scaledTanh' },
  { bias: true },
];
const CASES: MatmulCase[] = [];
for (const [M, K, N] of SIZES) {
  for (let t = 0; t < 4; t++) CASES.push({ M, K, N, transposeA: (t & 1) === 1, transposeB: (t & 2) === 2, ...EPILOGUES[t] });
}
// Every fused activation, on a size that is not a multiple of anything.
for (const activation of ACTS.slice(1)) CASES.push({ M: 9, K: 21, N: 11, bias: true, activation });
// Batched (B = 3 on both sides) and broadcast batches (rank 2 or batch 1 on one side).
CASES.push(
  { M: 7, K: 13, N: 5, batchA: 3, batchB: 3, bias: true, activation: 'relu' },
  { M: 65, K: 33, N: 17, batchA: 3, batchB: 3, transposeA: true, transposeB: true },
  { M: 5, K: 9, N: 70, batchA: 3, batchB: 3, transposeB: true, bias: true, activation: 'tanh' },
  { M: 8, K: 12, N: 16, batchA: 3, batchB: 3, transposeA: true, bias: true, activation: 'relu6' },
  { M: 66, K: 20, N: 9, batchA: 3, bias: true },
  { M: 4, K: 31, N: 67, batchB: 3, transposeA: true, activation: 'sigmoid' },
  { M: 9, K: 8, N: 10, batchA: 1, batchB: 3, transposeB: true, bias: true },
  { M: 9, K: 8, N: 10, batchA: 3, batchB: 1, transposeA: true },
  { M: 2, K: 3, N: 4, batchA: 1, batchB: 1, bias: true },
);

describe('matmul (tiled kernel)', () => {
  const rng = new Rng(11);
  for (const c of CASES) gpuIt(caseName(c), (gpu) => checkMatmul(gpu, rng, c));

  gpuIt('matmul K=0 gives bias + activation', async (gpu) => {
    const bias = [0.5, -2, 3];
    const { got } = await compareWithCpu(gpu, (b, t) => b.matmul(t([], [2, 0]), t([], [0, 3]), { bias: t(bias, [3]), activation: 'relu' }), TOL);
    expect(Array.from(got)).toEqual([0.5, 0, 3, 0.5, 0, 3]);
  });

  gpuIt('matmul hand check [2,3]x[3,2] + bias', async (gpu) => {
    const a = [1, 2, 3, 4, 5, 6];
    const bm = [7, 8, 9, 10, 11, 12];
    const { got } = await compareWithCpu(gpu, (b, t) => b.matmul(t(a, [2, 3]), t(bm, [3, 2]), { bias: t([1, -1], [2]) }), TOL);
    // [1·7+2·9+3·11, 1·8+2·10+3·12; 4·7+5·9+6·11, 4·8+5·10+6·12] + [1, -1]
    expect(Array.from(got)).toEqual([59, 63, 140, 153]);
  });

  gpuIt('matmul batch split over dispatches when batch > maxComputeWorkgroupsPerDimension', async (gpu) => {
    // A context that reports a limit of 2 workgroups per dimension: 5 batch matrices take 3 dispatches.
    const limits = new Proxy(gpu.ctx.limits, {
      get: (target, prop) => (prop === 'maxComputeWorkgroupsPerDimension' ? 2 : Reflect.get(target, prop)),
    });
    const ctx: GpuContext = { ...gpu.ctx, limits };
    const small = await WebGpuBackend.create({ context: ctx });
    try {
      const rng2 = new Rng(5);
      await checkMatmul(small, rng2, { M: 6, K: 10, N: 7, batchA: 5, batchB: 5, bias: true });
      await checkMatmul(small, rng2, { M: 3, K: 4, N: 5, batchA: 5, transposeB: true });
    } finally {
      small.dispose();
    }
  });

  gpuIt('matmul compact tiling when the device allows only 64 invocations per workgroup', async (gpu) => {
    const limits = new Proxy(gpu.ctx.limits, {
      get: (target, prop) => (prop === 'maxComputeInvocationsPerWorkgroup' ? 64 : Reflect.get(target, prop)),
    });
    const small = await WebGpuBackend.create({ context: { ...gpu.ctx, limits } });
    try {
      const rng2 = new Rng(6);
      await checkMatmul(small, rng2, { M: 65, K: 33, N: 17, transposeB: true, bias: true, activation: 'relu' });
      await checkMatmul(small, rng2, { M: 40, K: 64, N: 36, batchA: 2, batchB: 2 });
      const keys = small.pipelines.keys();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith('matmul:tiled{') && k.includes('WG_X=8') && k.includes('WG_Y=8'))).toBe(true);
    } finally {
      small.dispose();
    }
  });

  gpuIt('matmul uses the tiled pipeline with the tuning-table overrides', async (gpu) => {
    await checkMatmul(gpu, new Rng(3), { M: 5, K: 6, N: 7 });
    const keys = gpu.pipelines.keys().filter((k) => k.startsWith('matmul:'));
    expect(keys.some((k) => k.startsWith('matmul:tiled{') && k.includes('TILE_K=16') && k.includes('WG_X=16'))).toBe(true);
    expect(keys.some((k) => k.startsWith('matmul:naive'))).toBe(false);
  });
});

describe('matmul (gemv kernel: M ≤ 4, B transposed)', () => {
  const rng = new Rng(15);
  // K and N odd and multiples of 4 (vec4 and scalar loads), 1 to 32 K splits (gemvSplit), K shorter than one quad per split
  // and much longer (several strides of the K split), bias on/off, activations, batch 3 and
  // broadcast batches, RBF-style N = 1.
  const gemvCases: MatmulCase[] = [
    { M: 1, K: 1, N: 1, transposeB: true },
    { M: 1, K: 400, N: 120, transposeB: true, bias: true, activation: 'scaledTanh' },
    { M: 2, K: 33, N: 17, transposeB: true, bias: true, activation: 'relu' },
    { M: 3, K: 84, N: 10, transposeB: true },
    { M: 4, K: 120, N: 84, transposeB: true, bias: true, activation: 'scaledTanh' },
    { M: 4, K: 301, N: 9, transposeB: true, bias: true, activation: 'sigmoid' },
    { M: 3, K: 1027, N: 13, transposeB: true, activation: { type: 'leakyRelu', alpha: 0.1 } },
    { M: 2, K: 4100, N: 6, transposeB: true, bias: true }, // all 32 K splits (gemvSplit), K not a multiple of 4
    { M: 1, K: 7, N: 1, transposeB: true, bias: true, activation: 'tanh' },
    { M: 2, K: 12, N: 16, batchA: 3, batchB: 3, transposeB: true, bias: true, activation: 'relu' },
    { M: 3, K: 13, N: 7, batchA: 3, batchB: 3, transposeB: true },
    { M: 4, K: 20, N: 9, batchA: 3, transposeB: true, bias: true },
    { M: 1, K: 9, N: 5, batchB: 3, transposeB: true, activation: { type: 'clip', min: -0.5, max: 0.5 } },
  ];
  for (const c of gemvCases) {
    gpuIt(`${caseName(c)} gemv`, async (gpu) => {
      await checkMatmul(gpu, rng, c);
      const vec4 = c.K % 4 === 0 ? 1 : 0;
      expect(gpu.pipelines.keys().some((k) => k.startsWith('matmul:gemv{') && k.includes(`VEC4_A=${vec4},VEC4_B=${vec4}`))).toBe(true);
    });
  }

  gpuIt('matmul selection: gemv for M ≤ 4 with B transposed, tiled otherwise (pipeline keys)', async (gpu) => {
    const be = await WebGpuBackend.create({ context: gpu.ctx });
    try {
      const r = new Rng(16);
      const used = async (c: MatmulCase): Promise<string[]> => {
        const before = new Set(be.pipelines.keys());
        await checkMatmul(be, r, c);
        return be.pipelines.keys().filter((k) => !before.has(k)).map((k) => k.slice(0, k.indexOf('{')));
      };
      expect(await used({ M: 4, K: 8, N: 6, transposeB: true })).toEqual(['matmul:gemv']);
      expect(await used({ M: 5, K: 8, N: 6, transposeB: true })).toEqual(['matmul:tiled']);
      // Other layouts keep the tiled kernel (one new specialisation each).
      expect(await used({ M: 2, K: 8, N: 6 })).toEqual(['matmul:tiled']);
      expect(await used({ M: 2, K: 8, N: 6, transposeA: true, transposeB: true })).toEqual(['matmul:tiled']);
    } finally {
      be.dispose();
    }
  });

  it('selectGemvTiling: the rule, limits and the tuning table', () => {
    const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupStorageSize: 16384 };
    const ctx = { info: { vendor: 'v', architecture: 'a' }, limits } as unknown as GpuContext;
    const dense = (M: number) => ({ M, transposeA: false, transposeB: true });
    for (let M = 1; M <= 4; M++) expect(selectGemvTiling(ctx, dense(M))).toEqual(MATMUL_GEMV_TUNING.default);
    expect(selectGemvTiling(ctx, dense(5))).toBeNull();
    expect(selectGemvTiling(ctx, { M: 1, transposeA: false, transposeB: false })).toBeNull();
    expect(selectGemvTiling(ctx, { M: 1, transposeA: true, transposeB: true })).toBeNull();
    // The adapter's own entry wins; an entry that does not fit (or splitK not a power of two) is skipped.
    const table = { 'v/a': { splitK: 8, cols: 8, maxM: 2 }, default: { splitK: 24, cols: 4, maxM: 4 }, compact: { splitK: 16, cols: 4, maxM: 4 } };
    expect(selectGemvTiling(ctx, dense(2), table)).toEqual(table['v/a']);
    expect(selectGemvTiling(ctx, dense(3), table)).toBeNull();
    const small = { ...ctx, limits: { ...limits, maxComputeInvocationsPerWorkgroup: 64 } } as unknown as GpuContext;
    expect(selectGemvTiling(small, dense(3))).toEqual(MATMUL_GEMV_TUNING.compact);
    const tiny = { ...ctx, limits: { ...limits, maxComputeInvocationsPerWorkgroup: 32 } } as unknown as GpuContext;
    expect(selectGemvTiling(tiny, dense(1))).toBeNull();
    // maxM: 0 disables the kernel.
    expect(selectGemvTiling(ctx, dense(1), { default: { splitK: 32, cols: 8, maxM: 0 } })).toBeNull();
  });

  it('gemvSplit: each K split reduces at least GEMV_MIN_K_PER_SPLIT values, down to one split', () => {
    const t = { splitK: 32, cols: 8, maxM: 4 };
    expect(GEMV_MIN_K_PER_SPLIT).toBe(64);
    expect(gemvSplit(t, 4096)).toBe(32);
    expect(gemvSplit(t, 2048)).toBe(32);
    expect(gemvSplit(t, 2047)).toBe(16);
    expect(gemvSplit(t, 512)).toBe(8); // ResNet's fc
    expect(gemvSplit(t, 120)).toBe(1); // LeNet-5's F6
    expect(gemvSplit(t, 1)).toBe(1);
  });
});

describe('matmul (forceNaive kernel)', () => {
  const rng = new Rng(12);
  const naiveCases: MatmulCase[] = [
    { M: 7, K: 13, N: 5, bias: true, activation: 'relu' },
    { M: 65, K: 33, N: 17, transposeA: true, transposeB: true, activation: 'scaledTanh' },
    { M: 1, K: 120, N: 84, transposeB: true, bias: true },
    { M: 5, K: 9, N: 10, batchA: 3, batchB: 1, transposeB: true, bias: true },
  ];
  for (const c of naiveCases) {
    gpuIt(`${caseName(c)} forceNaive`, async (gpu) => {
      // A second backend on the same device; it does not own the device, so disposing it is safe.
      const naive = await WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
      try {
        await checkMatmul(naive, rng, c);
        expect(naive.pipelines.keys().every((k) => k.startsWith('matmul:naive{'))).toBe(true);
      } finally {
        naive.dispose();
      }
    });
  }
});

describe('dense', () => {
  const rng = new Rng(13);
  const cases: { n: number; inF: number; outF: number; bias: boolean; act?: Activation }[] = [
    { n: 1, inF: 120, outF: 84, bias: true, act: 'scaledTanh' },
    { n: 4, inF: 120, outF: 84, bias: true, act: 'scaledTanh' },
    { n: 3, inF: 84, outF: 10, bias: true },
    { n: 5, inF: 13, outF: 7, bias: false, act: 'relu' },
    { n: 70, inF: 33, outF: 65, bias: true, act: 'sigmoid' },
  ];
  for (const c of cases) {
    gpuIt(`dense N=${c.n} ${c.inF}->${c.outF}${c.bias ? ' bias' : ''}${c.act ? ` act=${c.act}` : ''}`, async (gpu) => {
      const x = rng.uniform(c.n * c.inF);
      const w = rng.uniform(c.outF * c.inF, -0.3, 0.3);
      const bias = rng.uniform(c.outF);
      const { shape } = await compareWithCpu(
        gpu,
        (b, t) => b.dense(t(x, [c.n, c.inF]), t(w, [c.outF, c.inF]), c.bias ? t(bias, [c.outF]) : undefined, c.act),
        TOL,
      );
      expect(shape).toEqual([c.n, c.outF]);
    });
  }

  it('dense equals matmul with transposeB (CPU)', async () => {
    const rng2 = new Rng(4);
    const x = cpu.tensor(rng2.uniform(12), [3, 4]);
    const w = cpu.tensor(rng2.uniform(20), [5, 4]);
    const bias = cpu.tensor(rng2.uniform(5), [5]);
    const d = await cpu.dense(x, w, bias, 'tanh').read();
    const m = await cpu.matmul(x, w, { transposeB: true, bias, activation: 'tanh' }).read();
    expect(Array.from(d)).toEqual(Array.from(m));
  });
});

describe('rbf', () => {
  const rng = new Rng(14);
  const cases: [number, number, number][] = [[1, 84, 10], [2, 84, 10], [3, 84, 10], [4, 84, 10], [5, 84, 10], [3, 7, 13], [66, 5, 1], [1, 1, 1], [17, 100, 70]];
  for (const [n, f, k] of cases) {
    gpuIt(`rbf N=${n} F=${f} K=${k}`, async (gpu) => {
      // LeNet's centers are ±1 bitmaps; inputs are scaledTanh outputs in (-1.7159, 1.7159).
      const x = rng.uniform(n * f, -1.7, 1.7);
      const centers = new Float32Array(k * f).map(() => (rng.next() < 0.5 ? -1 : 1));
      const { shape } = await compareWithCpu(gpu, (b, t) => b.rbf(t(x, [n, f]), t(centers, [k, f])), TOL);
      expect(shape).toEqual([n, k]);
    });
  }

  gpuIt('rbf hand check', async (gpu) => {
    const x = [0, 0, 1, 2];
    const centers = [1, 1, 0, 2, 3, -1];
    // x0 = (0,0): |(−1,−1)|² = 2, |(0,−2)|² = 4, |(−3,1)|² = 10; x1 = (1,2): 1, 1, 13.
    const { got, ref } = await compareWithCpu(gpu, (b, t) => b.rbf(t(x, [2, 2]), t(centers, [3, 2])), TOL);
    expect(Array.from(ref)).toEqual([2, 4, 10, 1, 1, 13]);
    expect(Array.from(got)).toEqual([2, 4, 10, 1, 1, 13]);
  });

  gpuIt('rbf N=3 F=84 K=10 forceNaive', async (gpu) => {
    const naive = await WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
    try {
      const x = rng.uniform(3 * 84, -1.7, 1.7);
      const centers = rng.uniform(10 * 84);
      await compareWithCpu(naive, (b, t) => b.rbf(t(x, [3, 84]), t(centers, [10, 84])), TOL);
    } finally {
      naive.dispose();
    }
  });
});

describe('bad input (checked before any GPU work)', () => {
  it('matmul: inner dimensions differ, naming the layer and both shapes', async () => {
    await expectBothRefuse(
      (b, t) => {
        const a = t([4, 120]);
        const w = t([84, 100]);
        return b.matmul(a, w, { name: 'fc6' });
      },
      ShapeError,
      "matmul 'fc6': inner dimensions differ: a [4,120] has K=120, b [84,100] has K=84",
    );
    await expectBothRefuse((b, t) => b.matmul(t([3, 4]), t([3, 4]), { transposeA: true, transposeB: true }), ShapeError, 'matmul: inner dimensions differ: a [3,4] (transposed) has K=3, b [3,4] (transposed) has K=4');
  });

  it('matmul: bad ranks', async () => {
    await expectBothRefuse((b, t) => b.matmul(t([5]), t([5, 2])), ShapeError, 'matmul: a must have rank 2 (rows, cols) or 3 (batch, rows, cols), got [5]');
    await expectBothRefuse((b, t) => b.matmul(t([2, 3]), t([1, 2, 3, 4])), ShapeError, 'matmul: b must have rank 2 (rows, cols) or 3 (batch, rows, cols), got [1,2,3,4]');
  });

  it('matmul: incompatible batch', async () => {
    await expectBothRefuse(
      (b, t) => b.matmul(t([2, 3, 4]), t([3, 4, 5]), { name: 'attn' }),
      ShapeError,
      "matmul 'attn': batch sizes differ: a [2,3,4] has 2, b [3,4,5] has 3 (they must be equal, or one must be 1 or rank 2)",
    );
  });

  it('matmul: bias length wrong', async () => {
    await expectBothRefuse(
      (b, t) => b.matmul(t([4, 120]), t([120, 84]), { bias: t([83]), name: 'fc6' }),
      ShapeError,
      "matmul 'fc6': bias has shape [83], expected [84] (one value per output column; a [4,120], b [120,84])",
    );
    await expectBothRefuse((b, t) => b.matmul(t([4, 3]), t([3, 2]), { bias: t([1, 2]) }), ShapeError, 'matmul: bias has shape [1,2], expected [2]');
  });

  it('matmul: unknown activation and non-boolean transpose', async () => {
    await expectBothRefuse((b, t) => b.matmul(t([2, 3]), t([3, 2]), { activation: 'swoosh' as Activation }), InvalidArgumentError, /matmul: unknown activation "swoosh"/);
    await expectBothRefuse(
      (b, t) => b.matmul(t([2, 3]), t([3, 2]), { transposeA: 1 as unknown as boolean }),
      InvalidArgumentError,
      'matmul: transposeA must be a boolean, got 1',
    );
  });

  it('dense: features mismatch, bad rank, bias length', async () => {
    await expectBothRefuse((b, t) => b.dense(t([4, 120]), t([84, 100]), undefined), ShapeError, 'dense: input has 120 features, weights expect 100 (input [4,120], weights [84,100])');
    await expectBothRefuse((b, t) => b.dense(t([1, 16, 5, 5]), t([120, 400]), undefined), ShapeError, 'dense: input must have rank 2 (batch, features), got [1,16,5,5]; flatten it first');
    await expectBothRefuse((b, t) => b.dense(t([2, 84]), t([10, 84]), t([84])), ShapeError, 'dense: bias has shape [84], expected [10] (weights [10,84])');
  });

  it('rbf: features mismatch and bad rank', async () => {
    await expectBothRefuse((b, t) => b.rbf(t([2, 84]), t([10, 80])), ShapeError, 'rbf: input has 84 features, centers have 80 (input [2,84], centers [10,80])');
    await expectBothRefuse((b, t) => b.rbf(t([84]), t([10, 84])), ShapeError, 'rbf: input must have rank 2 (batch, features), got [84]');
  });
});
