// The losses: softmax cross-entropy, mean squared error and LeCun's Euclidean RBF loss. Each
// gives the per-sample loss (N) and the gradient of the batch mean. On the CPU reference:
// gradient checks against central differences of the mean loss, and values by hand. On the
// GPU: randomized sweeps against the CPU twin (K = 10 and 1000, N = 1..33), the same hand
// values, numerical stability (logits ±1e4), the documented label clamping, and the errors
// both backends throw before any GPU work (the CPU also rejects bad label values).
import { describe, it, expect } from 'vitest';
import {
  CpuTensor, ShapeError, InvalidArgumentError,
  type Tensor, type TrainingBackend, type LossResult, type WebGpuBackend,
} from 'webcnn';
import { gpuIt, cpu, expectBothRefuse, counts, type MakeTensor } from './helpers/gpu.js';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { expectGradient } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';

// Per-sample losses: sums of up to 1000 exp/squares in float32 against float64.
const LOSS_TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };
// Gradients are (p − onehot)/N: small values, relative error of one exp.
const GRAD_TOL: Tolerance = { atol: 1e-7, rtol: 1e-4 };

interface Compared {
  loss: { ref: Float32Array; got: Float32Array };
  grad: { ref: Float32Array; got: Float32Array };
}

/** Runs a loss on the CPU reference and on the GPU with the same inputs and compares loss and grad. */
async function compareLoss(gpu: WebGpuBackend, build: (b: TrainingBackend, t: MakeTensor) => LossResult, label: string): Promise<Compared> {
  const run = async (b: TrainingBackend) => {
    const made: Tensor[] = [];
    const t: MakeTensor = (data, shape) => {
      const x = b.tensor(data, shape);
      made.push(x);
      return x;
    };
    const { loss, grad } = build(b, t);
    try {
      return { loss: { data: await loss.read(), shape: loss.shape }, grad: { data: await grad.read(), shape: grad.shape } };
    } finally {
      loss.dispose();
      grad.dispose();
      for (const x of made) x.dispose();
    }
  };
  const ref = await run(cpu);
  const got = await run(gpu);
  counts.comparisons += 2;
  expect(got.loss.shape, `${label} loss shape`).toEqual(ref.loss.shape);
  expect(got.grad.shape, `${label} grad shape`).toEqual(ref.grad.shape);
  expectClose(got.loss.data, ref.loss.data, LOSS_TOL, `${label} loss`, ref.loss.shape);
  expectClose(got.grad.data, ref.grad.data, GRAD_TOL, `${label} grad`, ref.grad.shape);
  return { loss: { ref: ref.loss.data, got: got.loss.data }, grad: { ref: ref.grad.data, got: got.grad.data } };
}

/** A CPU tensor's values, synchronously (for the finite-difference loss functions). */
function host(t: Tensor): Float32Array {
  if (!(t instanceof CpuTensor)) throw new Error('expected a CPU tensor');
  return t.data;
}

const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function randomLabels(rng: Rng, n: number, k: number): Float32Array {
  return new Float32Array(n).map(() => rng.int(0, k - 1));
}

/** Both backends' values equal `want` within a tight tolerance. */
function expectBothSides(c: { ref: Float32Array; got: Float32Array }, want: number[], label: string): void {
  expectClose(c.ref, want, { atol: 1e-6, rtol: 1e-6 }, `${label} CPU`);
  expectClose(c.got, want, { atol: 1e-6, rtol: 1e-6 }, `${label} GPU`);
}

// ---------------------------------------------------------------------------------------------

describe('losses: CPU gradient against finite differences of the mean loss', () => {
  const rng = new Rng(401);
  for (const [n, k] of [[3, 10], [1, 5], [4, 1000]]) {
    it(`softmaxCrossEntropy N=${n} K=${k}`, () => {
      const logits = rng.normal(n * k, 2);
      const labels = cpu.tensor(randomLabels(rng, n, k), [n]);
      const lossOf = (x: Float32Array): number => mean(host(cpu.softmaxCrossEntropy(cpu.tensor(x, [n, k]), labels).loss));
      const { grad } = cpu.softmaxCrossEntropy(cpu.tensor(logits, [n, k]), labels);
      expect(grad.shape).toEqual([n, k]);
      expectGradient(lossOf, logits, host(grad), { maxChecks: 60, eps: 1e-2, atol: 1e-4 });
    });
  }
  for (const shape of [[4, 6], [2, 3, 4, 4], [5]]) {
    it(`mseLoss ${JSON.stringify(shape)}`, () => {
      const pred = rng.uniform(size(shape), -2, 2);
      const target = cpu.tensor(rng.uniform(size(shape), -2, 2), shape);
      const lossOf = (x: Float32Array): number => mean(host(cpu.mseLoss(cpu.tensor(x, shape), target).loss));
      const { loss, grad } = cpu.mseLoss(cpu.tensor(pred, shape), target);
      expect(loss.shape).toEqual([shape[0]]);
      expect(grad.shape).toEqual(shape);
      expectGradient(lossOf, pred, host(grad), { maxChecks: 60, atol: 1e-4 });
    });
  }
  for (const [n, k] of [[3, 10], [2, 7]]) {
    it(`rbfLoss N=${n} K=${k}`, () => {
      const d = rng.uniform(n * k, 0, 50);
      const labels = cpu.tensor(randomLabels(rng, n, k), [n]);
      const lossOf = (x: Float32Array): number => mean(host(cpu.rbfLoss(cpu.tensor(x, [n, k]), labels).loss));
      const { grad } = cpu.rbfLoss(cpu.tensor(d, [n, k]), labels);
      expectGradient(lossOf, d, host(grad), { maxChecks: 60, atol: 1e-4 });
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('softmaxCrossEntropy GPU against CPU', () => {
  const rng = new Rng(402);
  const cases: [number, number][] = [];
  for (const k of [10, 1000]) for (const n of [1, 2, 5, 16, 33]) cases.push([n, k]);
  cases.push([7, 3], [4, 257], [9, 1]);
  for (const [n, k] of cases) {
    gpuIt(`softmaxCrossEntropy N=${n} K=${k}`, async (gpu) => {
      const logits = rng.normal(n * k, 3);
      const labels = randomLabels(rng, n, k);
      await compareLoss(gpu, (b, t) => b.softmaxCrossEntropy(t(logits, [n, k]), t(labels, [n])), `N=${n} K=${k}`);
    });
  }

  gpuIt('softmaxCrossEntropy hand check N=2 K=3 and N=1 K=2', async (gpu) => {
    // Row 0: log(e + e² + e³) − 3; row 1: log 3. grad = (softmax − onehot)/2.
    const r = await compareLoss(gpu, (b, t) => b.softmaxCrossEntropy(t([1, 2, 3, 1, 1, 1], [2, 3]), t([2, 0], [2])), 'hand');
    const s = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expectBothSides(r.loss, [Math.log(s) - 3, Math.log(3)], 'loss');
    expectBothSides(r.grad, [Math.exp(1) / s / 2, Math.exp(2) / s / 2, (Math.exp(3) / s - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6], 'grad');
    const r2 = await compareLoss(gpu, (b, t) => b.softmaxCrossEntropy(t([0, 0], [1, 2]), t([0], [1])), 'hand 2');
    expectBothSides(r2.loss, [Math.LN2], 'loss');
    expectBothSides(r2.grad, [-0.5, 0.5], 'grad');
  });

  gpuIt('softmaxCrossEntropy logits ±1e4 give finite loss and gradient', async (gpu) => {
    // Row 0: label at the max → loss 0; row 1: label 2e4 below the max → loss 2e4.
    const logits = [1e4, -1e4, 0, 1e4, -1e4, -1e4];
    const r = await compareLoss(gpu, (b, t) => b.softmaxCrossEntropy(t(logits, [2, 3]), t([0, 1], [2])), 'extreme');
    expectBothSides(r.loss, [0, 2e4], 'loss');
    expectBothSides(r.grad, [0, 0, 0, 0.5, -0.5, 0], 'grad');
    // A random sweep at that scale: everything finite and equal on both backends.
    const rng2 = new Rng(7);
    const n = 8;
    const k = 1000;
    const big = rng2.uniform(n * k, -1e4, 1e4);
    const labels = randomLabels(rng2, n, k);
    const r2 = await compareLoss(gpu, (b, t) => b.softmaxCrossEntropy(t(big, [n, k]), t(labels, [n])), 'uniform ±1e4');
    for (const a of [r2.loss.got, r2.grad.got]) expect(a.every(Number.isFinite)).toBe(true);
  });

  gpuIt('softmaxCrossEntropy on the GPU clamps out-of-range labels (documented; the CPU rejects them)', async (gpu) => {
    const logits = new Rng(8).normal(3 * 5);
    const lg = gpu.tensor(logits, [3, 5]);
    const bad = gpu.tensor([7, -3, 1.2], [3]);
    const good = gpu.tensor([4, 0, 1], [3]);
    const a = gpu.softmaxCrossEntropy(lg, bad);
    const b = gpu.softmaxCrossEntropy(lg, good);
    expect(Array.from(await a.loss.read())).toEqual(Array.from(await b.loss.read()));
    expect(Array.from(await a.grad.read())).toEqual(Array.from(await b.grad.read()));
    for (const t of [lg, bad, good, a.loss, a.grad, b.loss, b.grad]) t.dispose();
  });
});

describe('mseLoss GPU against CPU', () => {
  const rng = new Rng(403);
  const shapes = [[1, 10], [7, 10], [33, 10], [2, 1000], [33, 1000], [5, 3, 7, 7], [9], [4, 0]];
  for (const shape of shapes) {
    gpuIt(`mseLoss ${JSON.stringify(shape)}`, async (gpu) => {
      const p = rng.uniform(size(shape), -2, 2);
      const q = rng.uniform(size(shape), -2, 2);
      await compareLoss(gpu, (b, t) => b.mseLoss(t(p, shape), t(q, shape)), JSON.stringify(shape));
    });
  }

  gpuIt('mseLoss hand check', async (gpu) => {
    const r = await compareLoss(gpu, (b, t) => b.mseLoss(t([1, 2, 3, 4], [2, 2]), t([0, 0, 3, 5], [2, 2])), 'hand');
    expectBothSides(r.loss, [2.5, 0.5], 'loss');
    expectBothSides(r.grad, [0.5, 1, 0, -0.5], 'grad');
  });
});

describe('rbfLoss GPU against CPU', () => {
  const rng = new Rng(404);
  const cases: [number, number][] = [];
  for (const k of [10, 1000]) for (const n of [1, 16, 33]) cases.push([n, k]);
  cases.push([5, 3]);
  for (const [n, k] of cases) {
    gpuIt(`rbfLoss N=${n} K=${k}`, async (gpu) => {
      const d = rng.uniform(n * k, 0, 100);
      const labels = randomLabels(rng, n, k);
      await compareLoss(gpu, (b, t) => b.rbfLoss(t(d, [n, k]), t(labels, [n])), `N=${n} K=${k}`);
    });
  }

  gpuIt('rbfLoss hand check', async (gpu) => {
    const r = await compareLoss(gpu, (b, t) => b.rbfLoss(t([1, 2, 3, 4, 5, 6], [2, 3]), t([2, 0], [2])), 'hand');
    expectBothSides(r.loss, [3, 4], 'loss');
    expectBothSides(r.grad, [0, 0, 0.5, 0.5, 0, 0], 'grad');
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad input', () => {
  it('softmaxCrossEntropy / rbfLoss: labels shape, logits rank, no classes', async () => {
    await expectBothRefuse(
      (b, t) => b.softmaxCrossEntropy(t([4, 10]), t([4, 1])),
      ShapeError,
      'softmaxCrossEntropy: labels have shape [4,1], expected [4] (one class index per sample of logits [4,10])',
    );
    await expectBothRefuse((b, t) => b.softmaxCrossEntropy(t([4, 10]), t([3])), ShapeError, 'softmaxCrossEntropy: labels have shape [3], expected [4]');
    await expectBothRefuse((b, t) => b.softmaxCrossEntropy(t([10]), t([1])), ShapeError, 'softmaxCrossEntropy: logits must have rank 2 (batch, classes), got [10]');
    await expectBothRefuse((b, t) => b.softmaxCrossEntropy(t([2, 0]), t([2])), ShapeError, 'softmaxCrossEntropy: logits [2,0] have no classes');
    await expectBothRefuse((b, t) => b.rbfLoss(t([2, 10]), t([10])), ShapeError, 'rbfLoss: labels have shape [10], expected [2] (one class index per sample of distances [2,10])');
    await expectBothRefuse((b, t) => b.rbfLoss(t([2, 10, 1]), t([2])), ShapeError, 'rbfLoss: distances must have rank 2 (batch, classes), got [2,10,1]');
  });

  it('mseLoss: target shape differs; scalar prediction', async () => {
    await expectBothRefuse((b, t) => b.mseLoss(t([4, 10]), t([4, 9])), ShapeError, 'mseLoss: target has shape [4,9] but prediction has [4,10] (they must match)');
    await expectBothRefuse((b, t) => b.mseLoss(t([4, 10]), t([40])), ShapeError, 'mseLoss: target has shape [40] but prediction has [4,10]');
    await expectBothRefuse((b, t) => b.mseLoss(t([]), t([])), ShapeError, 'mseLoss: prediction must have rank >= 1 (batch, ...), got []');
  });

  it('CPU rejects labels that are not class indices, naming the op, the sample and the label', () => {
    const logits = cpu.tensor(new Float32Array(3 * 10), [3, 10]);
    const bad: [number[], string][] = [
      [[1, 10, 2], 'softmaxCrossEntropy: label 10 of sample 1 is not a class index (expected an integer in 0..9)'],
      [[1, 2, -1], 'softmaxCrossEntropy: label -1 of sample 2 is not a class index (expected an integer in 0..9)'],
      [[1.5, 2, 3], 'softmaxCrossEntropy: label 1.5 of sample 0 is not a class index (expected an integer in 0..9)'],
      [[0, NaN, 3], 'softmaxCrossEntropy: label NaN of sample 1 is not a class index (expected an integer in 0..9)'],
    ];
    for (const [labels, message] of bad) {
      expect(() => cpu.softmaxCrossEntropy(logits, cpu.tensor(labels, [3]))).toThrow(InvalidArgumentError);
      expect(() => cpu.softmaxCrossEntropy(logits, cpu.tensor(labels, [3]))).toThrow(message);
      expect(() => cpu.rbfLoss(logits, cpu.tensor(labels, [3]))).toThrow(message.replace('softmaxCrossEntropy', 'rbfLoss'));
    }
  });
});
