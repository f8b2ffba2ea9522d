// Training-mode batch norm, dropout, gradient plumbing and the optimizers: the CPU reference
// against finite differences (batch norm's backward) and hand-computed values (running
// statistics, one SGD-momentum-Nesterov step, two AdamW steps by PyTorch's formula); every GPU
// kernel against the CPU reference over a randomized sweep (in-place ops compared on the tensors
// they update, optimizers over 5-step trajectories with the hyper tensor rewritten between
// steps); dropout's mask bit for bit; and bad input, rejected by both backends before any GPU work.
import { describe, it, expect } from 'vitest';
import {
  ShapeError, InvalidArgumentError, WebGpuBackend, CpuTensor, GpuTensor, type Activation, type Tensor, type TrainingBackend,
  type SgdParams, type AdamParams,
} from 'webcnn';
import { gpuIt, cpu, getGpu, counts, type MakeTensor } from './helpers/gpu.js';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const EXACT: Tolerance = { atol: 0, rtol: 0 };

type Outputs = Record<string, Tensor>;

/**
 * Runs `build` on the CPU reference and on the GPU with the same inputs and compares every
 * named output (for in-place ops: the updated tensors), each within its tolerance.
 */
async function compareAll(
  gpu: WebGpuBackend,
  build: (b: TrainingBackend, t: MakeTensor) => Outputs,
  tol: Tolerance | Record<string, Tolerance>,
  label = '',
): Promise<Record<string, Float32Array>> {
  const run = async (b: TrainingBackend) => {
    const made = new Set<Tensor>();
    const t: MakeTensor = (data, shape) => {
      const x = b.tensor(data, shape);
      made.add(x);
      return x;
    };
    const outs = build(b, t);
    const res: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
    try {
      for (const [k, v] of Object.entries(outs)) res[k] = { shape: v.shape, data: await v.read() };
    } finally {
      for (const v of new Set([...Object.values(outs), ...made])) v.dispose();
    }
    return res;
  };
  counts.comparisons++;
  const ref = await run(cpu);
  const got = await run(gpu);
  expect(Object.keys(got)).toEqual(Object.keys(ref));
  const refs: Record<string, Float32Array> = {};
  for (const k of Object.keys(ref)) {
    expect(got[k].shape, `${label} ${k} shape`).toEqual(ref[k].shape);
    const tk = 'atol' in tol ? (tol as Tolerance) : (tol as Record<string, Tolerance>)[k];
    expectClose(got[k].data, ref[k].data, tk, `${label} ${k}`, ref[k].shape);
    refs[k] = ref[k].data;
  }
  return refs;
}

/** Overwrites a small tensor's values in place: on the GPU through the queue, after the work recorded so far. */
function writeValues(b: TrainingBackend, t: Tensor, values: readonly number[]): void {
  if (t instanceof GpuTensor) {
    const gpu = t.backend;
    // queue.writeBuffer runs before any command buffer submitted later: submit the recorded
    // work (which must still see the old values) first.
    gpu.flush();
    const data = Float32Array.from(values);
    gpu.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  } else if (t instanceof CpuTensor) {
    t.data.set(values);
  } else {
    throw new Error(`writeValues: unexpected tensor on ${b.name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// batch norm (training mode)

describe('batchNormTrain', () => {
  const rng = new Rng(101);
  // Two-pass f32 reductions over up to 2178 values per channel against float64.
  const TOL: Record<string, Tolerance> = {
    y: { atol: 1e-4, rtol: 1e-4 },
    mean: { atol: 1e-5, rtol: 1e-4 },
    invStd: { atol: 1e-5, rtol: 1e-4 },
    runningMean: { atol: 1e-5, rtol: 1e-4 },
    runningVar: { atol: 1e-5, rtol: 1e-4 },
  };
  const CASES: { shape: number[]; act?: Activation; momentum?: number; epsilon?: number; offset?: number }[] = [
    { shape: [4, 3] },
    { shape: [16, 1], act: 'relu' },
    { shape: [5, 6], momentum: 0.3, epsilon: 1e-3 },
    { shape: [2, 3, 9], act: { type: 'leakyRelu', alpha: 0.1 } },
    { shape: [1, 2, 3], momentum: 1 },
    { shape: [2, 5, 3, 3] },
    { shape: [3, 7, 5, 5], act: 'relu', momentum: 0.05 },
    { shape: [2, 3, 33, 33], act: 'relu6' },
    // Values far from 0 relative to their spread: the one-pass E[x²] − μ² would lose the variance.
    { shape: [2, 3, 33, 33], offset: 50 },
    { shape: [1, 260, 2, 2], momentum: 0 },
    // Few long channels: two-stage reductions (parts per channel, then a combine), with 7×7 and
    // 1-value planes (an invocation's step wraps across images) and a far offset.
    { shape: [340, 2, 7, 7], act: 'relu' },
    { shape: [16500, 3] },
    { shape: [3, 2, 75, 75], offset: 50 },
  ];
  for (const c of CASES) {
    const C = c.shape[1];
    const x = rng.uniform(numel(c.shape), -2, 2).map((v) => v + (c.offset ?? 0) + 0.3);
    const gamma = rng.uniform(C, 0.5, 2);
    const beta = rng.uniform(C, -1, 1);
    const rm = rng.uniform(C, -1, 1);
    const rv = rng.uniform(C, 0.5, 2);
    const opts = [
      c.act ? `act=${JSON.stringify(c.act)}` : '',
      c.momentum !== undefined ? `momentum=${c.momentum}` : '',
      c.epsilon !== undefined ? `eps=${c.epsilon}` : '',
      c.offset ? `offset=${c.offset}` : '',
    ].filter(Boolean).join(' ');
    gpuIt(`batchNormTrain ${JSON.stringify(c.shape)} ${opts}`, async (gpu) => {
      await compareAll(
        gpu,
        (b, t) => {
          const runningMean = t(rm, [C]);
          const runningVar = t(rv, [C]);
          const r = b.batchNormTrain(t(x, c.shape), t(gamma, [C]), t(beta, [C]), runningMean, runningVar, {
            activation: c.act, momentum: c.momentum, epsilon: c.epsilon,
          });
          return { y: r.y, mean: r.mean, invStd: r.invStd, runningMean, runningVar };
        },
        TOL,
      );
    });
  }

  gpuIt('batchNormTrain hand-computed: statistics, running averages (unbiased variance), two steps', async (gpu) => {
    for (const b of [cpu, gpu] as TrainingBackend[]) {
      // x (2, 2): channel 0 is [1, 3] (μ 2, σ² 1, unbiased 2), channel 1 is [-1, -1] (μ −1, σ² 0).
      const x = b.tensor([1, -1, 3, -1], [2, 2]);
      const gamma = b.tensor([2, 1], [2]);
      const beta = b.tensor([0.5, 0], [2]);
      const rm = b.tensor([0, 1], [2]);
      const rv = b.tensor([1, 1], [2]);
      const r = b.batchNormTrain(x, gamma, beta, rm, rv, { momentum: 0.1, epsilon: 1e-5 });
      const is0 = 1 / Math.sqrt(1 + 1e-5);
      const is1 = 1 / Math.sqrt(1e-5);
      const tol = { atol: 1e-6, rtol: 1e-5 };
      expectClose(await r.mean.read(), [2, -1], tol, `${b.name} mean`);
      expectClose(await r.invStd.read(), [is0, is1], tol, `${b.name} invStd`);
      // c0: 2·(∓1)·is0 + 0.5; c1: x = μ, so β.
      expectClose(await r.y.read(), [-2 * is0 + 0.5, 0, 2 * is0 + 0.5, 0], tol, `${b.name} y`);
      // running ← 0.9·running + 0.1·batch (variance unbiased: 2 and 0).
      expectClose(await rm.read(), [0.2, 0.8], tol, `${b.name} runningMean`);
      expectClose(await rv.read(), [1.1, 0.9], tol, `${b.name} runningVar`);
      const r2 = b.batchNormTrain(x, gamma, beta, rm, rv, { momentum: 0.5 });
      expectClose(await rm.read(), [1.1, -0.1], tol, `${b.name} runningMean after step 2`);
      expectClose(await rv.read(), [1.55, 0.45], tol, `${b.name} runningVar after step 2`);
      for (const t of [x, gamma, beta, rm, rv, r.y, r.mean, r.invStd, r2.y, r2.mean, r2.invStd]) t.dispose();
    }
  });
});

describe('batchNormBackward', () => {
  const rng = new Rng(202);

  /** The CPU forward's L = Σ y·r as a function of x, gamma or beta. */
  function bnLoss(shape: number[], x: Float32Array, gamma: Float32Array, beta: Float32Array, r: Float32Array): number {
    const C = shape[1];
    const out = cpu.batchNormTrain(cpu.tensor(x, shape), cpu.tensor(gamma, [C]), cpu.tensor(beta, [C]), cpu.zeros([C]), cpu.zeros([C]));
    return project((out.y as CpuTensor).data, r);
  }

  for (const shape of [[3, 4], [4, 2, 5], [2, 3, 3, 3], [3, 2, 4, 5]]) {
    it(`batchNormBackward CPU matches finite differences of batchNormTrain ${JSON.stringify(shape)} (dx, dgamma, dbeta)`, () => {
      const C = shape[1];
      const x = rng.uniform(numel(shape), -2, 2);
      const gamma = rng.uniform(C, 0.5, 2);
      const beta = rng.uniform(C, -1, 1);
      const r = rng.uniform(numel(shape));
      const fwd = cpu.batchNormTrain(cpu.tensor(x, shape), cpu.tensor(gamma, [C]), cpu.tensor(beta, [C]), cpu.zeros([C]), cpu.zeros([C]));
      const g = cpu.batchNormBackward(cpu.tensor(x, shape), cpu.tensor(r, shape), cpu.tensor(gamma, [C]), fwd.mean, fwd.invStd);
      const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2, maxChecks: 48 };
      expectGradient((xp) => bnLoss(shape, xp, gamma, beta, r), x, (g.dx as CpuTensor).data, { ...opts, label: 'dx' });
      expectGradient((gp) => bnLoss(shape, x, gp, beta, r), gamma, (g.dgamma as CpuTensor).data, { ...opts, label: 'dgamma' });
      expectGradient((bp) => bnLoss(shape, x, gamma, bp, r), beta, (g.dbeta as CpuTensor).data, { ...opts, label: 'dbeta' });
      // Σ dx = 0 per channel: the mean subtraction removes any constant shift.
      const dx = (g.dx as CpuTensor).data;
      const S = numel(shape.slice(2));
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let n = 0; n < shape[0]; n++) for (let k = 0; k < S; k++) s += dx[(n * C + c) * S + k];
        expect(Math.abs(s), `Σ dx over channel ${c}`).toBeLessThan(1e-4);
      }
    });
  }

  const TOL: Record<string, Tolerance> = {
    dx: { atol: 1e-4, rtol: 1e-3 },
    dgamma: { atol: 1e-4, rtol: 1e-4 },
    dbeta: { atol: 1e-4, rtol: 1e-4 },
  };
  // The last three reduce in two stages (few long channels).
  for (const shape of [[4, 3], [16, 1], [2, 3, 9], [2, 5, 3, 3], [3, 7, 5, 5], [2, 3, 33, 33], [1, 260, 2, 2], [340, 2, 7, 7], [16500, 3], [3, 2, 75, 75]]) {
    const C = shape[1];
    const x = rng.uniform(numel(shape), -2, 2);
    const dy = rng.uniform(numel(shape));
    const gamma = rng.uniform(C, -2, 2);
    // Statistics as the forward computes them.
    const fwd = cpu.batchNormTrain(cpu.tensor(x, shape), cpu.tensor(gamma, [C]), cpu.zeros([C]), cpu.zeros([C]), cpu.zeros([C]));
    const mean = (fwd.mean as CpuTensor).data;
    const invStd = (fwd.invStd as CpuTensor).data;
    gpuIt(`batchNormBackward ${JSON.stringify(shape)}`, async (gpu) => {
      await compareAll(
        gpu,
        (b, t) => {
          const g = b.batchNormBackward(t(x, shape), t(dy, shape), t(gamma, [C]), t(mean, [C]), t(invStd, [C]));
          return { dx: g.dx, dgamma: g.dgamma, dbeta: g.dbeta };
        },
        TOL,
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// dropout

describe('dropoutTrain', () => {
  const rng = new Rng(303);
  const CASES: { shape: number[]; rate: number; seed: number }[] = [
    { shape: [100_000], rate: 0.3, seed: 12345 },
    { shape: [7, 13], rate: 0.5, seed: 0 },
    { shape: [3, 5, 9, 9], rate: 0.1, seed: 2 ** 24 - 1 },
    { shape: [2, 3], rate: 0.9, seed: 7 },
    { shape: [4, 33], rate: 0, seed: 99 },
  ];
  for (const c of CASES) {
    const x = rng.uniform(numel(c.shape), -3, 3);
    gpuIt(`dropoutTrain ${JSON.stringify(c.shape)} rate=${c.rate} seed=${c.seed}: same mask bit for bit`, async (gpu) => {
      const ref = await compareAll(
        gpu,
        (b, t) => {
          const r = b.dropoutTrain(t(x, c.shape), c.rate, t([c.seed], [1]));
          return { y: r.y, mask: r.mask };
        },
        EXACT,
      );
      const scale = Math.fround(1 / (1 - c.rate));
      expect(ref.mask.every((m) => m === 0 || m === scale), 'mask values are 0 or 1/(1 − rate)').toBe(true);
      if (c.rate === 0) expect(ref.mask.every((m) => m === 1), 'rate 0 keeps everything').toBe(true);
    });
  }

  it('dropoutTrain drops a fraction ≈ rate of 100k elements, keeps the mean, and different seeds give different masks', () => {
    const n = 100_000;
    const x = cpu.tensor(new Float32Array(n).fill(1), [n]);
    for (const rate of [0.1, 0.3, 0.5, 0.8]) {
      const masks = [1, 2, 1].map((s) => (cpu.dropoutTrain(x, rate, cpu.tensor([s], [1])).mask as CpuTensor).data);
      const zeros = masks[0].filter((m) => m === 0).length / n;
      // 5 standard deviations of a binomial fraction.
      const sd = Math.sqrt((rate * (1 - rate)) / n);
      expect(Math.abs(zeros - rate), `rate ${rate}: fraction of zeros ${zeros}`).toBeLessThan(5 * sd);
      const mean = masks[0].reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean - 1), `rate ${rate}: mean of the mask ${mean}`).toBeLessThan(5 * sd / (1 - rate));
      // Seeds 1 and 2: independent masks differ at a fraction 2·rate·(1 − rate) of positions.
      const differ = masks[0].filter((m, i) => m !== masks[1][i]).length / n;
      expect(Math.abs(differ - 2 * rate * (1 - rate)), `rate ${rate}: seeds 1 and 2 differ at ${differ}`).toBeLessThan(0.01);
      expect(masks[2], 'the same seed gives the same mask').toEqual(masks[0]);
    }
  });

  gpuIt('dropoutTrain reads the seed at run time: rewriting the seed tensor changes the mask as on the CPU', async (gpu) => {
    const shape = [5, 41];
    const x = rng.uniform(numel(shape));
    const xs = gpu.tensor(x, shape);
    const seed = gpu.tensor([3], [1]);
    const masks: Float32Array[] = [];
    for (const s of [3, 4]) {
      writeValues(gpu, seed, [s]);
      const r = gpu.dropoutTrain(xs, 0.5, seed);
      const got = await r.mask.read();
      const want = (cpu.dropoutTrain(cpu.tensor(x, shape), 0.5, cpu.tensor([s], [1])).mask as CpuTensor).data;
      expectClose(got, want, EXACT, `seed ${s}`);
      masks.push(got);
      r.y.dispose();
      r.mask.dispose();
    }
    expect(masks[0]).not.toEqual(masks[1]);
    xs.dispose();
    seed.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// gradient plumbing

describe('sumTo', () => {
  const rng = new Rng(404);
  const CASES: [number[], number[]][] = [
    [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [1, 3, 1, 1]],
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [4, 1]],
    [[6, 7], [7]],
    [[6, 7], [6, 1]],
    [[6, 7], [1, 1]],
    [[6, 7], []],
    [[2, 1, 5], [5]],
    [[2, 1, 3, 2, 4], [3, 1, 4]],
    [[300, 5], [5]],
    [[3, 40, 50], [40, 1]],
    [[2, 3, 33, 33], [1, 3, 1, 1]],
    [[4, 0, 3], [1, 1, 3]],
  ];
  const tolFor = (reduced: number): Tolerance => (reduced > 100 ? { atol: 1e-4, rtol: 1e-4 } : { atol: 1e-5, rtol: 1e-5 });
  for (const [xs, target] of CASES) {
    const x = rng.uniform(numel(xs));
    const reduced = numel(xs) / Math.max(1, numel(target));
    gpuIt(`sumTo ${JSON.stringify(xs)} -> ${JSON.stringify(target)} (${reduced} summands each)`, async (gpu) => {
      await compareAll(gpu, (b, t) => ({ out: b.sumTo(t(x, xs), target) }), tolFor(reduced));
    });
  }

  let naive: Promise<WebGpuBackend> | null = null;
  for (const [xs, target] of [[[2, 3, 33, 33], [3, 1, 1]], [[300, 5], [1, 5]]] as [number[], number[]][]) {
    const x = rng.uniform(numel(xs));
    gpuIt(`sumTo ${JSON.stringify(xs)} -> ${JSON.stringify(target)} forceNaive (one invocation per output)`, async (gpu) => {
      naive ??= WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
      await compareAll(await naive, (b, t) => ({ out: b.sumTo(t(x, xs), target) }), tolFor(1000));
    });
  }

  it('sumTo hand-computed: the bias gradient of (2, 2, 2) over axes 0 and 2', async () => {
    const x = cpu.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    // Channel 0: 1 + 2 + 5 + 6 = 14; channel 1: 3 + 4 + 7 + 8 = 22.
    expect(Array.from(await cpu.sumTo(x, [2, 1]).read())).toEqual([14, 22]);
    // Last axis kept: 1 + 3 + 5 + 7 = 16, 2 + 4 + 6 + 8 = 20.
    expect(Array.from(await cpu.sumTo(x, [2]).read())).toEqual([16, 20]);
  });
});

describe('slice', () => {
  const rng = new Rng(505);
  const CASES: { shape: number[]; axis: number; start: number; size: number }[] = [
    { shape: [2, 7, 3, 3], axis: 1, start: 2, size: 3 },
    { shape: [2, 9, 5, 5], axis: 1, start: 0, size: 9 },
    { shape: [5, 4], axis: 0, start: 1, size: 3 },
    { shape: [5, 4], axis: -1, start: 3, size: 1 },
    { shape: [3, 4, 5], axis: 2, start: 4, size: 1 },
    { shape: [1, 70, 17, 17], axis: 1, start: 13, size: 33 },
    { shape: [6], axis: 0, start: 2, size: 0 },
  ];
  for (const c of CASES) {
    const x = rng.uniform(numel(c.shape));
    gpuIt(`slice ${JSON.stringify(c.shape)} axis=${c.axis} start=${c.start} size=${c.size}`, async (gpu) => {
      await compareAll(gpu, (b, t) => ({ out: b.slice(t(x, c.shape), c.axis, c.start, c.size) }), EXACT);
    });
  }

  it('slice hand-computed: the middle channel of (2, 3, 2)', async () => {
    const x = cpu.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 3, 2]);
    const s = cpu.slice(x, 1, 1, 1);
    expect(s.shape).toEqual([2, 1, 2]);
    expect(Array.from(await s.read())).toEqual([2, 3, 8, 9]);
  });
});

describe('accumulate', () => {
  const rng = new Rng(606);
  for (const shape of [[7], [3, 5, 5], [1000], [2, 3, 33, 33]]) {
    const a = rng.uniform(numel(shape));
    const xs = [rng.uniform(numel(shape)), rng.uniform(numel(shape))];
    gpuIt(`accumulate ${JSON.stringify(shape)} twice, in place`, async (gpu) => {
      await compareAll(
        gpu,
        (b, t) => {
          const acc = t(a, shape);
          for (const x of xs) b.accumulate(acc, t(x, shape));
          return { acc };
        },
        { atol: 1e-6, rtol: 1e-6 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// optimizers

describe('optimizers', () => {
  const rng = new Rng(707);
  const SHAPE = [3, 37];
  const LRS = [0.1, 0.05, 0.2, 0.01, 0.3];
  const STEPS = 5;
  // f32 updates against float64, compounded over 5 steps.
  const TOL = { atol: 2e-6, rtol: 1e-5 };

  const SGD_CASES: { name: string; params: SgdParams; recreateHyper?: boolean }[] = [
    { name: 'plain', params: {} },
    { name: 'plain, hyper re-created each step', params: {}, recreateHyper: true },
    { name: 'weightDecay=0.05', params: { weightDecay: 0.05 } },
    { name: 'momentum=0.9', params: { momentum: 0.9 } },
    { name: 'momentum=0.9 nesterov', params: { momentum: 0.9, nesterov: true } },
    { name: 'momentum=0.5 nesterov weightDecay=0.1', params: { momentum: 0.5, nesterov: true, weightDecay: 0.1 } },
  ];
  for (const c of SGD_CASES) {
    const theta = rng.uniform(numel(SHAPE), -2, 2);
    const grads = Array.from({ length: STEPS }, () => rng.uniform(numel(SHAPE)));
    gpuIt(`sgdStep ${c.name}: 5-step trajectory with the learning rate rewritten between steps`, async (gpu) => {
      const momentum = (c.params.momentum ?? 0) > 0;
      const run = (b: TrainingBackend) => {
        const param = b.tensor(theta, SHAPE);
        const velocity = momentum ? b.zeros(SHAPE) : undefined;
        let hyper = b.tensor([LRS[0]], [1]);
        return {
          param,
          velocity,
          step(k: number): void {
            if (c.recreateHyper) {
              hyper.dispose();
              hyper = b.tensor([LRS[k]], [1]);
            } else {
              writeValues(b, hyper, [LRS[k]]);
            }
            const g = b.tensor(grads[k], SHAPE);
            b.sgdStep(param, g, velocity, hyper, c.params);
            g.dispose();
          },
          dispose(): void {
            for (const t of [param, velocity, hyper]) t?.dispose();
          },
        };
      };
      const ref = run(cpu);
      const got = run(gpu);
      for (let k = 0; k < STEPS; k++) {
        ref.step(k);
        got.step(k);
        counts.comparisons++;
        expectClose(await got.param.read(), await ref.param.read(), TOL, `step ${k + 1} param`, SHAPE);
        if (ref.velocity && got.velocity) expectClose(await got.velocity.read(), await ref.velocity.read(), TOL, `step ${k + 1} velocity`, SHAPE);
      }
      ref.dispose();
      got.dispose();
    });
  }

  const ADAM_CASES: { name: string; params: AdamParams }[] = [
    { name: 'defaults', params: {} },
    { name: 'beta1=0.8 beta2=0.99 epsilon=1e-6 weightDecay=0.01', params: { beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 } },
  ];
  for (const c of ADAM_CASES) {
    const theta = rng.uniform(numel(SHAPE), -2, 2);
    const grads = Array.from({ length: STEPS }, () => rng.uniform(numel(SHAPE)));
    const b1 = c.params.beta1 ?? 0.9;
    const b2 = c.params.beta2 ?? 0.999;
    gpuIt(`adamStep ${c.name}: 5-step trajectory with lr and bias correction rewritten between steps`, async (gpu) => {
      const run = (b: TrainingBackend) => {
        const param = b.tensor(theta, SHAPE);
        const m = b.zeros(SHAPE);
        const v = b.zeros(SHAPE);
        const hyper = b.tensor([0, 0], [2]);
        return {
          param, m, v,
          step(k: number): void {
            const t = k + 1;
            writeValues(b, hyper, [LRS[k] / 10, Math.sqrt(1 - b2 ** t) / (1 - b1 ** t)]);
            const g = b.tensor(grads[k], SHAPE);
            b.adamStep(param, g, m, v, hyper, c.params);
            g.dispose();
          },
          dispose(): void {
            for (const t of [param, m, v, hyper]) t.dispose();
          },
        };
      };
      const ref = run(cpu);
      const got = run(gpu);
      for (let k = 0; k < STEPS; k++) {
        ref.step(k);
        got.step(k);
        counts.comparisons++;
        for (const key of ['param', 'm', 'v'] as const) {
          expectClose(await got[key].read(), await ref[key].read(), TOL, `step ${k + 1} ${key}`, SHAPE);
        }
      }
      ref.dispose();
      got.dispose();
    });
  }

  gpuIt('sgdStep momentum=0.9: 3 steps with the learning rate rewritten between them and no read in between', async (gpu) => {
    // Without a read, each step's dispatch is still unsubmitted when the next learning rate is
    // written: writeValues must submit it first, or every step would see the last value.
    const theta = rng.uniform(10);
    const grads = [rng.uniform(10), rng.uniform(10), rng.uniform(10)];
    const finals: Float32Array[] = [];
    for (const b of [cpu, gpu] as TrainingBackend[]) {
      const param = b.tensor(theta, [10]);
      const velocity = b.zeros([10]);
      const hyper = b.tensor([0], [1]);
      const gs = grads.map((g) => b.tensor(g, [10]));
      gs.forEach((g, k) => {
        writeValues(b, hyper, [LRS[k]]);
        b.sgdStep(param, g, velocity, hyper, { momentum: 0.9 });
      });
      finals.push(await param.read());
      for (const t of [param, velocity, hyper, ...gs]) t.dispose();
    }
    counts.comparisons++;
    expectClose(finals[1], finals[0], TOL, 'param after 3 steps');
  });

  gpuIt('sgdStep hand-computed: one momentum-Nesterov step with weight decay, and a first step from zero velocity', async (gpu) => {
    for (const b of [cpu, gpu] as TrainingBackend[]) {
      // θ = [1, 2], g = [0.5, −1], v = [0.1, −0.2], μ 0.9, wd 0.1, lr 0.5:
      // g' = g + wd·θ = [0.6, −0.8]; v ← 0.9·v + g' = [0.69, −0.98];
      // update = g' + μ·v = [1.221, −1.682]; θ ← θ − 0.5·update = [0.3895, 2.841].
      const param = b.tensor([1, 2], [2]);
      const velocity = b.tensor([0.1, -0.2], [2]);
      const grad = b.tensor([0.5, -1], [2]);
      const hyper = b.tensor([0.5], [1]);
      b.sgdStep(param, grad, velocity, hyper, { momentum: 0.9, nesterov: true, weightDecay: 0.1 });
      const tol = { atol: 1e-6, rtol: 1e-6 };
      expectClose(await param.read(), [0.3895, 2.841], tol, `${b.name} param`);
      expectClose(await velocity.read(), [0.69, -0.98], tol, `${b.name} velocity`);
      // Zero-initialised velocity: the first step is v = g and θ − lr·g, as PyTorch's first step.
      const p2 = b.tensor([1, 2], [2]);
      const v2 = b.zeros([2]);
      b.sgdStep(p2, grad, v2, hyper, { momentum: 0.9 });
      expectClose(await v2.read(), [0.5, -1], tol, `${b.name} first-step velocity`);
      expectClose(await p2.read(), [0.75, 2.5], tol, `${b.name} first-step param`);
      for (const t of [param, velocity, grad, hyper, p2, v2]) t.dispose();
    }
  });

  gpuIt('adamStep hand-computed: two AdamW steps against PyTorch\'s formula', async (gpu) => {
    // PyTorch AdamW (lr 0.01, wd 0.1, defaults otherwise), θ = [1, −2], g1 = [0.5, −0.25], g2 = [−1, 0.75]:
    // θ ← θ·(1 − lr·wd); m, v as below; θ ← θ − lr/(1 − β1ᵗ)·m/(√v/√(1 − β2ᵗ) + ε).
    // Step 1: θ = [0.9890000002, −1.9880000004], m = [0.05, −0.025], v = [2.5e-4, 6.25e-5].
    // Step 2: θ = [0.9916720354238566, −1.9909538986441853], m = [−0.055, 0.0525], v = [1.24975e-3, 6.249375e-4].
    const expected = [
      { theta: [0.9890000002, -1.9880000004], m: [0.05, -0.025], v: [2.5e-4, 6.25e-5] },
      { theta: [0.9916720354238566, -1.9909538986441853], m: [-0.055, 0.0525], v: [1.24975e-3, 6.249375e-4] },
    ];
    for (const b of [cpu, gpu] as TrainingBackend[]) {
      const param = b.tensor([1, -2], [2]);
      const m = b.zeros([2]);
      const v = b.zeros([2]);
      const hyper = b.tensor([0, 0], [2]);
      const grads = [[0.5, -0.25], [-1, 0.75]];
      for (let t = 1; t <= 2; t++) {
        writeValues(b, hyper, [0.01, Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)]);
        const g = b.tensor(grads[t - 1], [2]);
        b.adamStep(param, g, m, v, hyper, { weightDecay: 0.1 });
        // ε sits on √v here and on √v/√(1 − β2ᵗ) in PyTorch: a difference of ~1e-8 relative at these sizes.
        expectClose(await param.read(), expected[t - 1].theta, { atol: 1e-6, rtol: 1e-6 }, `${b.name} step ${t} param`);
        expectClose(await m.read(), expected[t - 1].m, { atol: 1e-8, rtol: 1e-6 }, `${b.name} step ${t} m`);
        expectClose(await v.read(), expected[t - 1].v, { atol: 1e-10, rtol: 1e-5 }, `${b.name} step ${t} v`);
        g.dispose();
      }
      for (const t of [param, m, v, hyper]) t.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// bad input

describe('training ops bad input', () => {
  type ErrorType = typeof ShapeError | typeof InvalidArgumentError;
  /**
   * `op` throws `type` with `message` on the CPU and on the GPU, where it allocates no buffer
   * and submits nothing. Inputs are made by `op` through `z` (zeros) and disposed afterwards.
   */
  async function expectBoth(op: (b: TrainingBackend, z: (shape: number[]) => Tensor) => unknown, type: ErrorType, message: string): Promise<void> {
    const gpu = await getGpu();
    for (const b of [cpu, gpu] as TrainingBackend[]) {
      const made: Tensor[] = [];
      const z = (shape: number[]): Tensor => {
        const t = b.zeros(shape);
        made.push(t);
        return t;
      };
      const before = gpu.memoryInfo().buffers;
      const submits = gpu.submitCount;
      let thrown: unknown;
      try {
        op(b, z);
      } catch (e) {
        thrown = e;
      }
      const allocated = made.filter((t) => t.backend === gpu).length;
      expect(thrown, `${b.name}: throws`).toBeInstanceOf(type);
      expect((thrown as Error).message, b.name).toBe(message);
      expect(gpu.memoryInfo().buffers - allocated, `${b.name}: no buffer allocated by the op`).toBe(before);
      expect(gpu.submitCount, `${b.name}: nothing submitted`).toBe(submits);
      for (const t of made) t.dispose();
    }
  }

  it('batchNormTrain rejects bad shapes and parameters', async () => {
    const bn = (xs: number[], cs: number[][], params = {}) => (b: TrainingBackend, z: (s: number[]) => Tensor) =>
      b.batchNormTrain(z(xs), z(cs[0]), z(cs[1]), z(cs[2]), z(cs[3]), params);
    const c3 = [[3], [3], [3], [3]];
    await expectBoth(bn([6], c3), ShapeError, 'batchNormTrain: input must have rank >= 2 (N, C, …), got [6]');
    await expectBoth(bn([2, 3, 4, 4], [[3], [4], [3], [3]]), ShapeError, 'batchNormTrain: beta must have shape [3] (one value per channel), got [4] (input [2,3,4,4])');
    await expectBoth(bn([2, 3, 4, 4], [[3], [3], [3], [3, 1]], { name: 'bn1' }), ShapeError, "batchNormTrain 'bn1': runningVar must have shape [3] (one value per channel), got [3,1] (input [2,3,4,4])");
    await expectBoth(bn([1, 3, 1, 1], c3), ShapeError, 'batchNormTrain: needs more than 1 value per channel in training mode, got 1 (input [1,3,1,1])');
    await expectBoth(bn([2, 3], c3, { momentum: 1.5 }), InvalidArgumentError, 'batchNormTrain: momentum must be in [0, 1], got 1.5');
    await expectBoth(bn([2, 3], c3, { epsilon: -1 }), InvalidArgumentError, 'batchNormTrain: epsilon must be a finite number >= 0, got -1');
    await expectBoth(
      (b, z) => {
        const g = z([3]);
        return b.batchNormTrain(z([2, 3]), g, z([3]), g, z([3]));
      },
      InvalidArgumentError,
      'batchNormTrain: runningMean is updated in place and must not share storage with gamma',
    );
  });

  it('batchNormBackward rejects dy of another shape and bad statistics', async () => {
    await expectBoth((b, z) => b.batchNormBackward(z([2, 3, 4]), z([2, 3, 5]), z([3]), z([3]), z([3])), ShapeError,
      "batchNormBackward: dy must have the input's shape [2,3,4], got [2,3,5]");
    await expectBoth((b, z) => b.batchNormBackward(z([2, 3, 4]), z([2, 3, 4]), z([3]), z([3]), z([2])), ShapeError,
      'batchNormBackward: invStd must have shape [3] (one value per channel), got [2] (input [2,3,4])');
  });

  it('dropoutTrain rejects a rate outside [0, 1) and a seed that is not (1)', async () => {
    await expectBoth((b, z) => b.dropoutTrain(z([4]), 1, z([1])), InvalidArgumentError, 'dropoutTrain: rate must be in [0, 1), got 1');
    await expectBoth((b, z) => b.dropoutTrain(z([4]), -0.1, z([1])), InvalidArgumentError, 'dropoutTrain: rate must be in [0, 1), got -0.1');
    await expectBoth((b, z) => b.dropoutTrain(z([4]), 0.5, z([2])), ShapeError, 'dropoutTrain: seed must have shape [1], got [2] (input [4])');
  });

  it('sumTo rejects target shapes that do not broadcast to the input', async () => {
    await expectBoth((b, z) => b.sumTo(z([2, 3]), [4]), ShapeError, "sumTo: target shape [4] does not broadcast to the input's shape [2,3]");
    await expectBoth((b, z) => b.sumTo(z([3]), [2, 3]), ShapeError, "sumTo: target shape [2,3] does not broadcast to the input's shape [3]");
    await expectBoth((b, z) => b.sumTo(z([2, 3]), [2, 3, 1]), ShapeError, "sumTo: target shape [2,3,1] does not broadcast to the input's shape [2,3]");
    await expectBoth((b, z) => b.sumTo(z([2, 3]), [-1]), ShapeError, 'sumTo: target has an invalid shape [-1]: dimensions must be non-negative integers');
  });

  it('slice rejects an axis out of range and a window outside the input', async () => {
    await expectBoth((b, z) => b.slice(z([2, 3]), 2, 0, 1), ShapeError, 'slice: axis 2 is out of range for rank 2 (input [2,3])');
    await expectBoth((b, z) => b.slice(z([2, 3]), 1, 2, 2), ShapeError,
      "slice: start 2 and size 2 must be integers >= 0 with start + size <= 3, the input's axis 1 (input [2,3])");
    await expectBoth((b, z) => b.slice(z([2, 3]), 0, -1, 1), ShapeError,
      "slice: start -1 and size 1 must be integers >= 0 with start + size <= 2, the input's axis 0 (input [2,3])");
  });

  it('accumulate rejects another shape and accumulating a tensor into itself', async () => {
    await expectBoth((b, z) => b.accumulate(z([2, 3]), z([3, 2])), ShapeError, "accumulate: input must have the accumulator's shape [2,3], got [3,2]");
    await expectBoth(
      (b, z) => {
        const a = z([4]);
        b.accumulate(a, a);
      },
      InvalidArgumentError,
      'accumulate: the accumulator is updated in place and must not share storage with the input',
    );
  });

  it('sgdStep rejects mismatched tensors and inconsistent options', async () => {
    await expectBoth((b, z) => b.sgdStep(z([3]), z([4]), undefined, z([1])), ShapeError, "sgdStep: grad must have the param's shape [3], got [4]");
    await expectBoth((b, z) => b.sgdStep(z([3]), z([3]), undefined, z([1]), { momentum: 0.9 }), InvalidArgumentError,
      "sgdStep: momentum 0.9 needs a velocity tensor of the param's shape [3]");
    await expectBoth((b, z) => b.sgdStep(z([3]), z([3]), z([2]), z([1]), { momentum: 0.9 }), ShapeError,
      "sgdStep: velocity must have the param's shape [3], got [2]");
    await expectBoth((b, z) => b.sgdStep(z([3]), z([3]), z([3]), z([1]), { nesterov: true }), InvalidArgumentError, 'sgdStep: nesterov needs momentum > 0');
    await expectBoth((b, z) => b.sgdStep(z([3]), z([3]), undefined, z([2])), ShapeError, 'sgdStep: hyper must have shape [1] (the learning rate), got [2]');
    await expectBoth((b, z) => b.sgdStep(z([3]), z([3]), undefined, z([1]), { weightDecay: -0.1 }), InvalidArgumentError,
      'sgdStep: weightDecay must be a finite number >= 0, got -0.1');
    await expectBoth(
      (b, z) => {
        const p = z([3]);
        b.sgdStep(p, p, undefined, z([1]));
      },
      InvalidArgumentError,
      'sgdStep: param is updated in place and must not share storage with grad',
    );
  });

  it('adamStep rejects mismatched tensors and bad options', async () => {
    await expectBoth((b, z) => b.adamStep(z([3]), z([3]), z([3]), z([3]), z([1])), ShapeError,
      'adamStep: hyper must have shape [2] (the learning rate and the bias correction √(1−β2ᵗ)/(1−β1ᵗ)), got [1]');
    await expectBoth((b, z) => b.adamStep(z([3]), z([3]), z([3, 1]), z([3]), z([2])), ShapeError, "adamStep: m must have the param's shape [3], got [3,1]");
    await expectBoth((b, z) => b.adamStep(z([3]), z([3]), z([3]), z([3]), z([2]), { beta1: 1 }), InvalidArgumentError, 'adamStep: beta1 must be in [0, 1), got 1');
    await expectBoth((b, z) => b.adamStep(z([3]), z([3]), z([3]), z([3]), z([2]), { epsilon: Number.NaN }), InvalidArgumentError,
      'adamStep: epsilon must be a finite number >= 0, got NaN');
    await expectBoth(
      (b, z) => {
        const m = z([3]);
        b.adamStep(z([3]), z([3]), m, m, z([2]));
      },
      InvalidArgumentError,
      'adamStep: m is updated in place and must not share storage with v',
    );
  });
});
