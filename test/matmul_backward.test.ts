// The backward of activations, dense and LeNet-5's RBF layer. On the CPU reference: gradient
// checks against central differences of the CPU forward (L = Σ r·forward, so dy = r). On the
// GPU: randomized sweeps against the CPU twin (every activation on a few shapes; dense with
// N 1..64 and LeNet's 400→120, 120→84, 84→10 plus odd sizes; rbf with F = 84, K = 10 plus odd
// sizes), small hand checks, and the shape errors both backends throw before any GPU work.
import { describe, it, expect } from 'vitest';
import {
  CpuTensor, ShapeError, InvalidArgumentError, WebGpuBackend,
  type Activation, type Tensor, type TrainingBackend,
} from 'webcnn';
import { gpuIt, cpu, expectBothRefuse, counts, type MakeTensor } from './helpers/gpu.js';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';

// Elementwise: f32 against f64 rounding only.
const ACT_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
// Reductions of up to 400 terms in float32 against a float64 reference.
const SUM_TOL: Tolerance = { atol: 1e-4, rtol: 1e-4 };

type Outputs = Record<string, Tensor | undefined>;

/**
 * Runs a multi-output op on the CPU reference and on the GPU with the same inputs; expects the
 * same outputs present, same shapes, and every value within tolerance. Disposes what it made.
 * Returns the reference and GPU values per output.
 */
async function compareOutputs(
  gpu: WebGpuBackend,
  build: (b: TrainingBackend, t: MakeTensor) => Outputs,
  tol: Tolerance,
  label: string,
): Promise<Record<string, { ref: Float32Array; got: Float32Array; shape: readonly number[] }>> {
  const run = async (b: TrainingBackend): Promise<Record<string, { data: Float32Array; shape: readonly number[] } | undefined>> => {
    const made: Tensor[] = [];
    const t: MakeTensor = (data, shape) => {
      const x = b.tensor(data, shape);
      made.push(x);
      return x;
    };
    const outs = build(b, t);
    const res: Record<string, { data: Float32Array; shape: readonly number[] } | undefined> = {};
    try {
      for (const [k, v] of Object.entries(outs)) res[k] = v && { data: await v.read(), shape: v.shape };
    } finally {
      for (const v of Object.values(outs)) v?.dispose();
      for (const x of made) x.dispose();
    }
    return res;
  };
  const ref = await run(cpu);
  const got = await run(gpu);
  const result: Record<string, { ref: Float32Array; got: Float32Array; shape: readonly number[] }> = {};
  for (const key of Object.keys(ref)) {
    const r = ref[key];
    const g = got[key];
    expect(g === undefined, `${label} ${key} present on the GPU iff on the CPU`).toBe(r === undefined);
    if (!r || !g) continue;
    counts.comparisons++;
    expect(g.shape, `${label} ${key} shape`).toEqual(r.shape);
    expectClose(g.data, r.data, tol, `${label} ${key}`, r.shape);
    result[key] = { ref: r.data, got: g.data, shape: r.shape };
  }
  return result;
}

/** A CPU tensor's values, synchronously (for the finite-difference loss functions). */
function host(t: Tensor): Float32Array {
  if (!(t instanceof CpuTensor)) throw new Error('expected a CPU tensor');
  return t.data;
}

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

// ---------------------------------------------------------------------------------------------

const ACTS: { act: Activation; name: string; kinks: number[]; lo: number; hi: number }[] = [
  { act: 'none', name: 'none', kinks: [], lo: -3, hi: 3 },
  { act: 'relu', name: 'relu', kinks: [0], lo: -3, hi: 3 },
  { act: 'relu6', name: 'relu6', kinks: [0, 6], lo: -2, hi: 8 },
  { act: { type: 'leakyRelu', alpha: 0.1 }, name: 'leakyRelu(0.1)', kinks: [0], lo: -3, hi: 3 },
  { act: { type: 'clip', min: -0.5, max: 0.75 }, name: 'clip(-0.5,0.75)', kinks: [-0.5, 0.75], lo: -1.5, hi: 1.5 },
  { act: 'sigmoid', name: 'sigmoid', kinks: [], lo: -6, hi: 6 },
  { act: 'tanh', name: 'tanh', kinks: [], lo: -3, hi: 3 },
  { act: 'scaledTanh', name: 'scaledTanh', kinks: [], lo: -4, hi: 4 },
];

/** Inputs in [lo, hi) kept at least 0.05 away from the activation's kinks (finite differences use eps 1e-2). */
function awayFromKinks(rng: Rng, n: number, lo: number, hi: number, kinks: number[]): Float32Array {
  const x = rng.uniform(n, lo, hi);
  for (let i = 0; i < n; i++) {
    for (const k of kinks) if (Math.abs(x[i] - k) < 0.05) x[i] = k + (x[i] >= k ? 0.1 : -0.1);
  }
  return x;
}

describe('activationBackward', () => {
  describe('CPU against finite differences', () => {
    const rng = new Rng(101);
    for (const { act, name, kinks, lo, hi } of ACTS) {
      for (const shape of [[2, 3, 4, 5], [7, 9]]) {
        it(`activationBackward ${name} ${JSON.stringify(shape)}`, () => {
          const x = awayFromKinks(rng, size(shape), lo, hi, kinks);
          const r = rng.uniform(size(shape));
          const lossOf = (xv: Float32Array): number => project(host(cpu.activation(cpu.tensor(xv, shape), act)), r);
          const y = cpu.activation(cpu.tensor(x, shape), act);
          const dx = host(cpu.activationBackward(y, cpu.tensor(r, shape), act));
          expectGradient(lossOf, x, dx, { maxChecks: 80, label: `activationBackward ${name}` });
        });
      }
    }
  });

  describe('GPU against CPU', () => {
    const rng = new Rng(102);
    const shapes = [[7], [3, 5, 7, 2], [64, 33], [2, 6, 28, 28]];
    for (const { act, name, lo, hi } of ACTS) {
      for (const shape of shapes) {
        gpuIt(`activationBackward ${name} ${JSON.stringify(shape)}`, async (gpu) => {
          // y from the CPU forward on both backends, so clipped values sit exactly on the bounds.
          const y = host(cpu.activation(cpu.tensor(rng.uniform(size(shape), lo, hi), shape), act));
          const dy = rng.uniform(size(shape));
          await compareOutputs(gpu, (b, t) => ({ dx: b.activationBackward(t(y, shape), t(dy, shape), act) }), ACT_TOL, name);
        });
      }
    }

    gpuIt('activationBackward hand check at the kinks', async (gpu) => {
      const cases: { act: Activation; y: number[]; want: number[] }[] = [
        { act: 'relu', y: [0, 2, 0.5], want: [0, 1, 1] },
        { act: 'relu6', y: [0, 3, 6], want: [0, 1, 0] },
        { act: { type: 'clip', min: -0.5, max: 0.75 }, y: [-0.5, 0, 0.75], want: [0, 1, 0] },
        { act: { type: 'leakyRelu', alpha: 0.2 }, y: [-1, 0, 1], want: [0.2, 0.2, 1] },
        { act: 'sigmoid', y: [0.5, 0, 1], want: [0.25, 0, 0] },
        { act: 'tanh', y: [0, 0.5, -1], want: [1, 0.75, 0] },
        { act: 'scaledTanh', y: [0, 1.7159, -1.7159], want: [1.7159 * (2 / 3), 0, 0] },
        { act: 'none', y: [-5, 0, 5], want: [1, 1, 1] },
      ];
      for (const c of cases) {
        const dy = [1, 1, 1];
        const { dx } = await compareOutputs(gpu, (b, t) => ({ dx: b.activationBackward(t(c.y, [3]), t(dy, [3]), c.act) }), ACT_TOL, JSON.stringify(c.act));
        expectClose(dx.ref, c.want, { atol: 1e-6, rtol: 1e-6 }, `${JSON.stringify(c.act)} CPU`);
        expectClose(dx.got, c.want, { atol: 1e-6, rtol: 1e-6 }, `${JSON.stringify(c.act)} GPU`);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('denseBackward', () => {
  describe('CPU against finite differences', () => {
    const rng = new Rng(201);
    for (const [n, inF, outF] of [[3, 7, 5], [1, 13, 4], [4, 20, 10], [2, 84, 10]]) {
      it(`denseBackward N=${n} ${inF}->${outF}`, () => {
        const x = rng.uniform(n * inF);
        const w = rng.uniform(outF * inF, -0.5, 0.5);
        const bias = rng.uniform(outF);
        const r = rng.uniform(n * outF);
        const xs = [n, inF];
        const ws = [outF, inF];
        const forward = (xv: Float32Array, wv: Float32Array, bv: Float32Array): number =>
          project(host(cpu.dense(cpu.tensor(xv, xs), cpu.tensor(wv, ws), cpu.tensor(bv, [outF]), undefined)), r);
        const g = cpu.denseBackward(cpu.tensor(x, xs), cpu.tensor(w, ws), cpu.tensor(r, [n, outF]));
        if (!g.dx || !g.dw || !g.db) throw new Error('all gradients were requested');
        expect(g.dx.shape).toEqual(xs);
        expect(g.dw.shape).toEqual(ws);
        expect(g.db.shape).toEqual([outF]);
        const opts = { maxChecks: 48 };
        expectGradient((xv) => forward(xv, w, bias), x, host(g.dx), { ...opts, label: 'dx' });
        expectGradient((wv) => forward(x, wv, bias), w, host(g.dw), { ...opts, label: 'dW' });
        expectGradient((bv) => forward(x, w, bv), bias, host(g.db), { ...opts, label: 'db' });
      });
    }
  });

  describe('GPU against CPU', () => {
    const rng = new Rng(202);
    const cases: [number, number, number][] = [];
    // LeNet-5's F5 (400→120), F6 (120→84) and output (84→10) over batches 1..64.
    for (const [inF, outF] of [[400, 120], [120, 84], [84, 10]]) for (const n of [1, 5, 17, 64]) cases.push([n, inF, outF]);
    // Odd sizes, not multiples of 4 or of the 64-wide matmul tile, with random batches.
    for (const [inF, outF] of [[7, 5], [33, 17], [1, 1], [13, 65], [3, 130], [65, 2]]) for (let i = 0; i < 2; i++) cases.push([rng.int(1, 64), inF, outF]);
    for (const [n, inF, outF] of cases) {
      gpuIt(`denseBackward N=${n} ${inF}->${outF}`, async (gpu) => {
        const x = rng.uniform(n * inF);
        const w = rng.uniform(outF * inF, -0.3, 0.3);
        const dy = rng.uniform(n * outF);
        const res = await compareOutputs(
          gpu,
          (b, t) => ({ ...b.denseBackward(t(x, [n, inF]), t(w, [outF, inF]), t(dy, [n, outF])) }),
          SUM_TOL,
          `denseBackward N=${n} ${inF}->${outF}`,
        );
        expect(Object.keys(res).sort()).toEqual(['db', 'dw', 'dx']);
      });
    }

    gpuIt('denseBackward N=6 30->9 want subsets leave the others undefined', async (gpu) => {
      const x = rng.uniform(6 * 30);
      const w = rng.uniform(9 * 30);
      const dy = rng.uniform(6 * 9);
      const wants = [
        { want: { input: false }, keys: ['db', 'dw'] },
        { want: { weight: false, bias: false }, keys: ['dx'] },
        { want: { input: false, weight: false }, keys: ['db'] },
        { want: { input: false, weight: false, bias: false }, keys: [] },
      ];
      for (const { want, keys } of wants) {
        const res = await compareOutputs(gpu, (b, t) => ({ ...b.denseBackward(t(x, [6, 30]), t(w, [9, 30]), t(dy, [6, 9]), want) }), SUM_TOL, JSON.stringify(want));
        expect(Object.keys(res).sort(), JSON.stringify(want)).toEqual(keys);
      }
    });

    gpuIt('denseBackward N=9 120->84 forceNaive matmul kernels', async (gpu) => {
      const naive = await WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
      try {
        const x = rng.uniform(9 * 120);
        const w = rng.uniform(84 * 120, -0.3, 0.3);
        const dy = rng.uniform(9 * 84);
        await compareOutputs(naive, (b, t) => ({ ...b.denseBackward(t(x, [9, 120]), t(w, [84, 120]), t(dy, [9, 84])) }), SUM_TOL, 'forceNaive');
      } finally {
        naive.dispose();
      }
    });

    gpuIt('denseBackward hand check N=1 2->3', async (gpu) => {
      const res = await compareOutputs(
        gpu,
        (b, t) => ({ ...b.denseBackward(t([1, 2], [1, 2]), t([1, 0, 0, 1, 1, 1], [3, 2]), t([1, 2, 3], [1, 3])) }),
        SUM_TOL,
        'hand',
      );
      // dx = dy·W = [1 + 3, 2 + 3]; dW = dyᵀ·x; db = dy.
      for (const side of ['ref', 'got'] as const) {
        expect(Array.from(res.dx[side])).toEqual([4, 5]);
        expect(Array.from(res.dw[side])).toEqual([1, 2, 2, 4, 3, 6]);
        expect(Array.from(res.db[side])).toEqual([1, 2, 3]);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('rbfBackward', () => {
  describe('CPU against finite differences', () => {
    const rng = new Rng(301);
    for (const [n, f, k] of [[3, 7, 4], [2, 84, 10], [1, 5, 1]]) {
      it(`rbfBackward N=${n} F=${f} K=${k}`, () => {
        const x = rng.uniform(n * f, -1.7, 1.7);
        const c = rng.uniform(k * f);
        const r = rng.uniform(n * k);
        const forward = (xv: Float32Array, cv: Float32Array): number => project(host(cpu.rbf(cpu.tensor(xv, [n, f]), cpu.tensor(cv, [k, f]))), r);
        const g = cpu.rbfBackward(cpu.tensor(x, [n, f]), cpu.tensor(c, [k, f]), cpu.tensor(r, [n, k]));
        expect(g.dx.shape).toEqual([n, f]);
        expect(g.dcenters.shape).toEqual([k, f]);
        // The distances are sums of up to 84 squares stored in float32: a larger step keeps rounding small.
        const opts = { maxChecks: 48, eps: 3e-2 };
        expectGradient((xv) => forward(xv, c), x, host(g.dx), { ...opts, label: 'dx' });
        expectGradient((cv) => forward(x, cv), c, host(g.dcenters), { ...opts, label: 'dcenters' });
      });
    }
  });

  describe('GPU against CPU', () => {
    const rng = new Rng(302);
    const cases: [number, number, number][] = [
      ...[1, 2, 3, 7, 16, 33, 64].map((n): [number, number, number] => [n, 84, 10]),
      [5, 13, 3], [66, 5, 1], [1, 1, 1], [17, 100, 70],
    ];
    for (const [n, f, k] of cases) {
      gpuIt(`rbfBackward N=${n} F=${f} K=${k}`, async (gpu) => {
        // LeNet's centers are ±1 bitmaps; inputs are scaledTanh outputs in (-1.7159, 1.7159).
        const x = rng.uniform(n * f, -1.7, 1.7);
        const c = new Float32Array(k * f).map(() => (rng.next() < 0.5 ? -1 : 1));
        const dy = rng.uniform(n * k);
        const res = await compareOutputs(gpu, (b, t) => ({ ...b.rbfBackward(t(x, [n, f]), t(c, [k, f]), t(dy, [n, k])) }), SUM_TOL, `rbfBackward N=${n} F=${f} K=${k}`);
        expect(res.dx.shape).toEqual([n, f]);
        expect(res.dcenters.shape).toEqual([k, f]);
      });
    }

    gpuIt('rbfBackward hand check', async (gpu) => {
      // x = (0, 0); centers (1, 1), (0, 2); dy = (1, 2):
      // dx = 2[(−1)·1 + 0·2, (−1)·1 + (−2)·2] = (−2, −10); dc0 = −2(−1, −1)·1 = (2, 2); dc1 = −2(0, −2)·2 = (0, 8).
      const res = await compareOutputs(gpu, (b, t) => ({ ...b.rbfBackward(t([0, 0], [1, 2]), t([1, 1, 0, 2], [2, 2]), t([1, 2], [1, 2])) }), SUM_TOL, 'hand');
      for (const side of ['ref', 'got'] as const) {
        // `+ 0` turns −0 (from −2·0 on the GPU) into 0.
        expect(Array.from(res.dx[side], (v) => v + 0)).toEqual([-2, -10]);
        expect(Array.from(res.dcenters[side], (v) => v + 0)).toEqual([2, 2, 0, 8]);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad input (checked before any GPU work)', () => {
  it('activationBackward: y and dy differ; unknown activation', async () => {
    await expectBothRefuse((b, t) => b.activationBackward(t([2, 3]), t([3, 2]), 'relu'), ShapeError, 'activationBackward: dy has shape [3,2] but y has [2,3] (they must match)');
    await expectBothRefuse((b, t) => b.activationBackward(t([2, 3]), t([2, 3]), 'swoosh' as Activation), InvalidArgumentError, /activationBackward: unknown activation "swoosh"/);
    await expectBothRefuse((b, t) => b.activationBackward(t([4]), t([4]), { type: 'clip', min: 1, max: 0 }), InvalidArgumentError, 'activationBackward: clip needs min <= max, got min 1, max 0');
  });

  it('denseBackward: dy shape, features mismatch, bad ranks', async () => {
    await expectBothRefuse(
      (b, t) => b.denseBackward(t([4, 120]), t([84, 120]), t([4, 83])),
      ShapeError,
      'denseBackward: dy has shape [4,83], expected [4,84] (the output of input [4,120] and weights [84,120])',
    );
    await expectBothRefuse((b, t) => b.denseBackward(t([4, 120]), t([84, 120]), t([3, 84])), ShapeError, 'denseBackward: dy has shape [3,84], expected [4,84]');
    await expectBothRefuse((b, t) => b.denseBackward(t([4, 120]), t([84, 100]), t([4, 84])), ShapeError, 'denseBackward: input has 120 features, weights expect 100 (input [4,120], weights [84,100])');
    await expectBothRefuse((b, t) => b.denseBackward(t([1, 16, 5, 5]), t([120, 400]), t([1, 120])), ShapeError, 'denseBackward: input must have rank 2 (batch, features), got [1,16,5,5]');
    await expectBothRefuse((b, t) => b.denseBackward(t([2, 4]), t([4]), t([2, 4])), ShapeError, 'denseBackward: weights must have rank 2 (out, in), got [4]');
  });

  it('rbfBackward: dy shape, features mismatch, bad ranks', async () => {
    await expectBothRefuse(
      (b, t) => b.rbfBackward(t([2, 84]), t([10, 84]), t([2, 9])),
      ShapeError,
      'rbfBackward: dy has shape [2,9], expected [2,10] (the output of input [2,84] and centers [10,84])',
    );
    await expectBothRefuse((b, t) => b.rbfBackward(t([2, 84]), t([10, 80]), t([2, 10])), ShapeError, 'rbfBackward: input has 84 features, centers have 80 (input [2,84], centers [10,80])');
    await expectBothRefuse((b, t) => b.rbfBackward(t([84]), t([10, 84]), t([1, 10])), ShapeError, 'rbfBackward: input must have rank 2 (batch, features), got [84]');
    await expectBothRefuse((b, t) => b.rbfBackward(t([2, 84]), t([84]), t([2, 1])), ShapeError, 'rbfBackward: centers must have rank 2 (classes, features), got [84]');
  });
});
