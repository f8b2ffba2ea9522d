// Training on the wasm backend: each backward kernel, loss and optimizer step against the
// reference backend over randomized shapes (odd sizes, strides, padding, dilation, groups,
// connection tables, batch > 1), with the same inputs at 1, 2 and 4 threads giving the same
// values bit for bit (each output is summed by one thread in an order fixed by the shapes);
// and LeNet-5 and LeNet trained for a few steps from the same weights on wasm and on the
// reference give the same losses and weights.
import { describe, it, expect, afterAll } from 'vitest';
import { createBackend, createModel, type Backend, type TrainingBackend, type Tensor, type Shape } from 'webcnn';
import { fit, type OptimizerConfig } from 'webcnn/train';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const ref = (await createBackend({ backend: 'reference' })).backend as TrainingBackend;
const wasm = await Promise.all([1, 2, 4].map(async (threads) => (await createBackend({ backend: 'wasm', threads })).backend as TrainingBackend));

afterAll(() => {
  ref.dispose();
  for (const b of wasm) b.dispose();
});

interface Input {
  data: Float32Array;
  shape: Shape;
}

/**
 * Runs `f` on the reference and on wasm at 1, 2 and 4 threads with the same inputs; compares
 * every tensor it returns (by name) with its tolerance, and the thread counts bit for bit. `f`
 * may also update its inputs in place: name them in `inPlace` to compare them afterwards.
 */
async function check(
  label: string,
  inputs: readonly Input[],
  f: (b: TrainingBackend, xs: Tensor[]) => Record<string, Tensor | undefined>,
  tol: (name: string) => Tolerance,
  inPlace: readonly number[] = [],
): Promise<void> {
  const run = async (b: TrainingBackend): Promise<Map<string, Float32Array>> => {
    const xs = inputs.map((i) => b.tensor(i.data, i.shape));
    const out = f(b, xs);
    const values = new Map<string, Float32Array>();
    for (const [k, t] of Object.entries(out)) {
      if (!t) continue;
      values.set(k, await b.read(t));
      t.dispose();
    }
    for (const i of inPlace) values.set(`input ${i}`, await b.read(xs[i]));
    for (const x of xs) x.dispose();
    return values;
  };
  const want = await run(ref);
  const got = await Promise.all(wasm.map(run));
  expect([...got[0].keys()].sort(), label).toEqual([...want.keys()].sort());
  for (const [k, v] of want) {
    expectClose(got[0].get(k)!, v, tol(k), `${label}: ${k}`);
    for (const g of got.slice(1)) expect(g.get(k), `${label}: ${k}: threads agree`).toEqual(got[0].get(k));
  }
}

const rng = new Rng(1718);
const rand = (shape: Shape, lo = -1, hi = 1): Input => ({ data: rng.uniform(shape.reduce((p, d) => p * d, 1), lo, hi), shape });

/** Float32 sums of `terms` products of values in [-1, 1]: error grows with the count, relative to nothing (values may cancel). */
const sumTol = (terms: number): Tolerance => ({ atol: 2e-6 * terms + 1e-6, rtol: 1e-4 });

describe('conv2dBackward', () => {
  // [N, C, H, W, Cout, kH, kW, stride, padding [top, left, bottom, right], dilation, groups]
  type Case = [number, number, number, number, number, number, number, [number, number], [number, number, number, number], [number, number], number];
  const cases: Case[] = [
    [2, 1, 12, 12, 6, 5, 5, [1, 1], [2, 2, 2, 2], [1, 1], 1],
    [3, 6, 14, 14, 16, 5, 5, [1, 1], [0, 0, 0, 0], [1, 1], 1],
    [2, 16, 5, 5, 120, 5, 5, [1, 1], [0, 0, 0, 0], [1, 1], 1],
    [2, 3, 11, 9, 5, 3, 3, [2, 2], [1, 1, 1, 1], [1, 1], 1],
    [1, 4, 13, 17, 6, 3, 5, [2, 3], [1, 2, 0, 1], [1, 2], 2],
    [3, 6, 9, 10, 9, 3, 3, [1, 1], [1, 1, 1, 1], [2, 2], 3],
    [2, 8, 7, 7, 8, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 8],
    [1, 5, 6, 7, 3, 1, 1, [1, 1], [0, 0, 0, 0], [1, 1], 1],
    [2, 7, 19, 23, 11, 1, 1, [2, 2], [0, 0, 0, 0], [1, 1], 1],
    [5, 2, 8, 8, 4, 2, 2, [2, 2], [0, 0, 0, 0], [1, 1], 2],
    [1, 3, 40, 37, 10, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 1],
    [9, 3, 4, 4, 2, 4, 4, [1, 1], [0, 0, 0, 0], [1, 1], 1],
    // dw's pixel blocks (80 here) straddle images.
    [3, 64, 7, 7, 64, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 1],
  ];
  const wants = [{}, { input: false }, { weight: false, bias: false }, { bias: false }];
  cases.forEach(([N, C, H, W, Cout, kh, kw, stride, padding, dilation, groups], i) => {
    const want = wants[i % wants.length];
    it(`(${N}, ${C}, ${H}, ${W}) → ${Cout} ${kh}×${kw} stride ${stride} pads ${padding} dilation ${dilation} groups ${groups} ${JSON.stringify(want)}`, async () => {
      const params = { stride, padding, dilation, groups };
      const x = rand([N, C, H, W]);
      const w = rand([Cout, C / groups, kh, kw]);
      const y = ref.conv2d(ref.tensor(x.data, x.shape), ref.tensor(w.data, w.shape), undefined, params);
      const dy = rand(y.shape);
      y.dispose();
      const [, , Ho, Wo] = y.shape;
      const terms = { dx: (Cout / groups) * kh * kw, dw: N * Ho * Wo, db: N * Ho * Wo };
      await check(
        'conv2dBackward',
        [x, w, dy],
        (b, [xt, wt, dyt]) => ({ ...b.conv2dBackward(xt, wt, dyt, params, want) }),
        (k) => sumTol(terms[k as keyof typeof terms]),
      );
    });
  });

  it("LeNet-5's C3 connection table", async () => {
    const table = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5], [0, 1, 2, 3], [0, 1, 3, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]];
    const pairs = table.reduce((s, r) => s + r.length, 0);
    const params = { connectionTable: table };
    const x = rand([3, 6, 9, 8]);
    const w = rand([pairs, 5, 5]);
    const dy = rand([3, table.length, 5, 4]);
    await check('conv2dBackward (table)', [x, w, dy], (b, [xt, wt, dyt]) => ({ ...b.conv2dBackward(xt, wt, dyt, params) }), () => sumTol(60));
  });

  it("LeNet-5's C3 connection table, forward (dense with zero kernels), with bias and activation", async () => {
    const table = [[0, 1], [1, 2, 3], [0, 3], [0, 1, 2, 3]];
    const pairs = table.reduce((s, r) => s + r.length, 0);
    for (const activation of [undefined, 'relu', 'scaledTanh'] as const) {
      const params = { connectionTable: table, activation };
      await check('conv2d (table)', [rand([2, 4, 9, 10]), rand([pairs, 3, 3]), rand([4])], (b, [xt, wt, bt]) => ({ y: b.conv2d(xt, wt, bt, params) }), () => ({ atol: 1e-5, rtol: 1e-5 }));
    }
  });
});

describe('denseBackward', () => {
  // [N, IN, OUT]
  const cases: [number, number, number][] = [[1, 7, 3], [2, 400, 120], [64, 120, 84], [5, 84, 10], [9, 33, 17], [4, 8, 8], [13, 3, 29]];
  const wants = [{}, { input: false }, { weight: false }, { bias: false, input: false }];
  cases.forEach(([N, IN, OUT], i) => {
    const want = wants[i % wants.length];
    it(`(${N}, ${IN}) → ${OUT} ${JSON.stringify(want)}`, async () => {
      const terms = { dx: OUT, dw: N, db: N };
      await check(
        'denseBackward',
        [rand([N, IN]), rand([OUT, IN]), rand([N, OUT])],
        (b, [x, w, dy]) => ({ ...b.denseBackward(x, w, dy, want) }),
        (k) => sumTol(terms[k as keyof typeof terms]),
      );
    });
  });
});

describe('activationBackward', () => {
  const acts = ['relu', { type: 'leakyRelu', alpha: 0.1 }, { type: 'clip', min: -0.5, max: 0.7 }, 'relu6', 'sigmoid', 'tanh', 'scaledTanh', 'silu'] as const;
  for (const act of acts) {
    it(JSON.stringify(act), async () => {
      // From the activation's output for every row here but silu (from its input, on the reference).
      const x = rand([3, 5, 7, 3], -3, 3);
      const y = ref.activation(ref.tensor(x.data, x.shape), act);
      const yv = { data: await ref.read(y), shape: x.shape };
      y.dispose();
      await check('activationBackward', [act === 'silu' ? x : yv, rand(x.shape)], (b, [v, dy]) => ({ dx: b.activationBackward(v, dy, act) }), () => ({ atol: 1e-6, rtol: 1e-5 }));
    });
  }
});

describe('pool2dBackward', () => {
  // [N, C, H, W, kernel, stride, padding, type, countIncludePad, ceilMode]
  type Case = [number, number, number, number, [number, number], [number, number], [number, number, number, number], 'max' | 'avg', boolean, boolean];
  const cases: Case[] = [
    [2, 6, 28, 28, [2, 2], [2, 2], [0, 0, 0, 0], 'max', false, false],
    [2, 16, 10, 10, [2, 2], [2, 2], [0, 0, 0, 0], 'avg', false, false],
    [3, 2, 9, 11, [3, 3], [2, 2], [1, 1, 1, 1], 'max', false, false],
    [1, 3, 13, 8, [3, 2], [1, 2], [1, 0, 1, 1], 'avg', true, false],
    [2, 2, 7, 9, [3, 3], [2, 2], [1, 1, 1, 1], 'avg', false, true],
    [1, 4, 6, 6, [3, 3], [1, 1], [0, 0, 0, 0], 'max', false, false],
  ];
  for (const [N, C, H, W, kernelSize, stride, padding, pool, countIncludePad, ceilMode] of cases) {
    it(`${pool} (${N}, ${C}, ${H}, ${W}) kernel ${kernelSize} stride ${stride} pads ${padding}${countIncludePad ? ' counting padding' : ''}${ceilMode ? ' ceil' : ''}`, async () => {
      const params = { type: pool, kernelSize, stride, padding, countIncludePad, ceilMode };
      const x = rand([N, C, H, W]);
      const y = ref.pool2d(ref.tensor(x.data, x.shape), params);
      const dy = rand(y.shape);
      y.dispose();
      await check('pool2dBackward', [x, dy], (b, [xt, dyt]) => ({ dx: b.pool2dBackward(xt, dyt, params) }), () => sumTol(kernelSize[0] * kernelSize[1]));
    });
  }
});

describe('subsample', () => {
  for (const [N, C, H, W, k, s, activation] of [[2, 6, 28, 28, 2, 2, 'scaledTanh'], [3, 4, 9, 11, 3, 2, 'relu'], [1, 2, 7, 7, 2, 1, undefined]] as const) {
    it(`(${N}, ${C}, ${H}, ${W}) ${k}×${k} stride ${s} ${activation ?? ''}`, async () => {
      const params = { kernelSize: k, stride: s, activation };
      await check('subsample', [rand([N, C, H, W]), rand([C]), rand([C])], (b, [x, coeff, bias]) => ({ y: b.subsample(x, coeff, bias, params) }), () => ({ atol: 1e-5, rtol: 1e-5 }));
    });
  }
});

describe('subsampleBackward', () => {
  for (const [N, C, H, W, k] of [[2, 6, 28, 28, 2], [3, 16, 10, 10, 2], [1, 3, 9, 9, 3]]) {
    it(`(${N}, ${C}, ${H}, ${W}) ${k}×${k}`, async () => {
      const Ho = Math.floor(H / k), Wo = Math.floor(W / k);
      await check(
        'subsampleBackward',
        [rand([N, C, H, W]), rand([C]), rand([N, C, Ho, Wo])],
        (b, [x, coeff, dy]) => ({ ...b.subsampleBackward(x, coeff, dy, { kernelSize: k }) }),
        (name) => sumTol(name === 'dx' ? 1 : N * Ho * Wo * k * k),
      );
    });
  }
});

describe('optimizer steps', () => {
  const sgd = [{}, { momentum: 0.9 }, { momentum: 0.9, nesterov: true, weightDecay: 1e-2 }];
  for (const [i, params] of sgd.entries()) {
    for (const size of [1, 6, 4803]) {
      it(`sgd ${JSON.stringify(params)} on ${size} values`, async () => {
        const inputs = [rand([size]), rand([size]), rand([size]), { data: new Float32Array([0.05 + i * 0.01]), shape: [1] }];
        await check('sgdStep', inputs, (b, [p, g, v, h]) => (b.sgdStep(p, g, params.momentum ? v : undefined, h, params), {}), () => ({ atol: 1e-6, rtol: 1e-5 }), [0, 2]);
      });
    }
  }
  for (const params of [{}, { beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-2 }]) {
    for (const size of [3, 4803]) {
      it(`adam ${JSON.stringify(params)} on ${size} values`, async () => {
        const inputs = [rand([size]), rand([size]), rand([size]), rand([size], 0, 1), { data: new Float32Array([0.01, 1.3]), shape: [2] }];
        await check('adamStep', inputs, (b, [p, g, m, v, h]) => (b.adamStep(p, g, m, v, h, params), {}), () => ({ atol: 1e-6, rtol: 1e-5 }), [0, 2, 3]);
      });
    }
  }
  it('refuses a parameter that shares storage with its gradient', () => {
    const p = wasm[0].tensor(new Float32Array(4), [4]);
    const h = wasm[0].tensor(new Float32Array([0.1]), [1]);
    expect(() => wasm[0].sgdStep(p, wasm[0].reshape(p, [4]), undefined, h)).toThrow('sgdStep: param is updated in place and must not share storage with grad');
    p.dispose();
    h.dispose();
  });
});

describe('LeNet-5 and LeNet train on wasm as on the reference', () => {
  const optimizers: [string, OptimizerConfig][] = [
    ['sgd+momentum', { type: 'sgd', lr: 0.01, momentum: 0.9 }],
    ['adam', { type: 'adam', lr: 1e-3 }],
  ];
  for (const name of ['lenet5', 'lenet'] as const) {
    for (const [label, optimizer] of optimizers) {
      it(`${name}, three ${label} steps: the same losses and weights, at 1 and 2 threads alike`, async () => {
        const side = name === 'lenet5' ? 32 : 28;
        const r = new Rng(name === 'lenet5' ? 5 : 6);
        const data = { images: r.uniform(24 * side * side, -1, 1), labels: Float32Array.from({ length: 24 }, () => r.int(0, 9)) };
        const train = async (backend: Backend) => {
          const model = createModel(name, { backend, seed: 3 });
          const losses: number[] = [];
          await fit(model, data, { batchSize: 8, shuffle: false, optimizer, callbacks: { onBatchEnd: (l) => void losses.push(l.loss!) } });
          const weights = model.getWeights();
          model.dispose();
          return { losses, weights };
        };
        const want = await train(ref);
        const [one, two] = [await train(wasm[0]), await train(wasm[1])];
        expect(one.losses).toHaveLength(3);
        expectClose(one.losses, want.losses, { atol: 1e-4, rtol: 1e-4 }, 'batch losses');
        for (const [k, v] of want.weights) expectClose(one.weights.get(k)!, v, { atol: 1e-5, rtol: 1e-4 }, k);
        expect(two.losses, 'losses at 2 threads').toEqual(one.losses);
        for (const [k, v] of one.weights) expect(two.weights.get(k), `${k} at 2 threads`).toEqual(v);
      }, 60_000);
    }
  }
});

describe('training memory on wasm', () => {
  it('a training step frees what it makes: further epochs take no more WebAssembly memory', async () => {
    const b = wasm[0] as TrainingBackend & { memoryBytes: number };
    const r = new Rng(8);
    const data = { images: r.uniform(32 * 28 * 28, -1, 1), labels: Float32Array.from({ length: 32 }, () => r.int(0, 9)) };
    const model = createModel('lenet', { backend: b, seed: 2 });
    const opts = { batchSize: 8, optimizer: { type: 'adam', lr: 1e-3 } } as const;
    await fit(model, data, opts);
    const after1 = b.memoryBytes;
    await fit(model, data, { ...opts, epochs: 3 });
    expect(b.memoryBytes).toBe(after1);
    model.dispose();
  });
});
