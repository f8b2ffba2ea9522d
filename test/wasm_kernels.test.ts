// The wasm backend's forward kernels beyond conv2d/dense (wasm/depthwise.ts, …): each against
// the reference backend over randomized shapes (odd sizes, strides, padding, dilation, batch > 1,
// broadcasting, every activation row), and the same inputs at 1, 2 and 4 threads give the same
// values bit for bit (each output is computed by one thread in one order).
import { describe, it, expect, afterAll } from 'vitest';
import { createBackend, Model, input, apply, BINARY, ACTIVATIONS, exampleActivations, type Activation, type ActivationDef, type Backend, type Tensor, type Shape } from 'webcnn';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const ref = (await createBackend({ backend: 'reference' })).backend;
const wasm = await Promise.all([1, 2, 4].map(async (threads) => (await createBackend({ backend: 'wasm', threads })).backend));

afterAll(() => {
  ref.dispose();
  for (const b of wasm) b.dispose();
});

/** Runs `f` on the reference and on the wasm backend at 1, 2 and 4 threads with the same inputs; compares. */
async function check(label: string, inputs: readonly { data: Float32Array; shape: Shape }[], f: (b: Backend, xs: Tensor[]) => Tensor, tol: Tolerance): Promise<void> {
  const run = async (b: Backend): Promise<{ values: Float32Array; shape: readonly number[] }> => {
    const xs = inputs.map((i) => b.tensor(i.data, i.shape));
    const y = f(b, xs);
    const values = await b.read(y);
    const shape = [...y.shape];
    y.dispose();
    for (const x of xs) x.dispose();
    return { values, shape };
  };
  // A macrotask turn first: the reference's loops are synchronous, and a long test that never
  // yields starves vitest's worker channel.
  await new Promise((r) => setTimeout(r, 0));
  const want = await run(ref);
  const got = await Promise.all(wasm.map(run));
  expect(got[0].shape, label).toEqual(want.shape);
  expectClose(got[0].values, want.values, tol, label, want.shape);
  for (const g of got.slice(1)) expect(g.values, `${label}: threads agree`).toEqual(got[0].values);
}

/** A model of one layer (for primitives the public API runs only through layers) on each backend, compared as check() does. */
async function checkLayer(label: string, shape: Shape, layer: object, tol: Tolerance): Promise<void> {
  const x = rand(shape);
  const model = (b: Backend) => {
    const i = input({ shape, name: 'x' });
    return new Model({ inputs: i, outputs: apply(layer as never, i, 'layer'), name: label, backend: b });
  };
  await new Promise((r) => setTimeout(r, 0));
  const want = await model(ref).predict(x.data);
  const got = await Promise.all(wasm.map((b) => model(b).predict(x.data)));
  expectClose(got[0], want, tol, label);
  for (const g of got.slice(1)) expect(g, `${label}: threads agree`).toEqual(got[0]);
}

const rng = new Rng(1717);
const rand = (shape: Shape, lo = -1, hi = 1) => ({ data: rng.uniform(shape.reduce((p, d) => p * d, 1), lo, hi), shape });

describe('depthwise conv2d', () => {
  // [N, C, H, W, multiplier, kH, kW, stride, pad, dilation]
  const cases: [number, number, number, number, number, number, number, [number, number], [number, number, number, number], [number, number]][] = [
    [1, 3, 9, 11, 1, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1]],
    [2, 5, 13, 7, 1, 3, 3, [2, 2], [1, 1, 1, 1], [1, 1]],
    [1, 4, 17, 19, 2, 5, 5, [1, 1], [2, 2, 2, 2], [1, 1]],
    [2, 3, 12, 15, 1, 5, 5, [2, 2], [2, 2, 2, 2], [1, 1]],
    [1, 6, 10, 23, 3, 3, 3, [1, 1], [0, 0, 0, 0], [1, 1]],
    [1, 2, 14, 14, 1, 3, 3, [1, 1], [2, 2, 2, 2], [2, 2]],
    [3, 2, 11, 9, 1, 3, 5, [3, 2], [1, 2, 0, 1], [1, 2]],
    [1, 3, 6, 5, 1, 7, 7, [1, 1], [3, 3, 3, 3], [1, 1]],
    [1, 1, 1, 1, 4, 1, 1, [1, 1], [0, 0, 0, 0], [1, 1]],
    [2, 8, 33, 31, 1, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1]],
    [1, 8, 40, 37, 1, 3, 3, [2, 2], [0, 1, 0, 1], [1, 1]],
    [1, 2, 5, 50, 1, 1, 9, [1, 3], [0, 0, 4, 4], [1, 1]],
  ];
  const acts = [undefined, 'relu', 'clip', 'hardSwish', 'silu', 'sigmoid', 'gelu'] as const;
  cases.forEach(([N, C, H, W, m, kh, kw, stride, [pt, pl, pb, pr], dilation], i) => {
    const act = acts[i % acts.length];
    it(`(${N}, ${C}, ${H}, ${W}) ×${m} ${kh}×${kw} stride ${stride} pads ${[pt, pl, pb, pr]} dilation ${dilation} ${act ?? ''}`, async () => {
      const activation = act === 'clip' ? ({ type: 'clip', min: -0.3, max: 0.4 } as const) : act;
      await check(
        'depthwise',
        [rand([N, C, H, W]), rand([C * m, 1, kh, kw]), rand([C * m])],
        (b, [x, w, bias]) => b.conv2d(x, w, i % 3 === 2 ? undefined : bias, { stride, padding: [pt, pl, pb, pr], dilation, groups: C, activation }),
        { atol: 1e-5, rtol: 1e-5 },
      );
    });
  });
});

/** The table row of an activation. */
function rowOf(act: Activation): ActivationDef {
  const name = typeof act === 'string' ? act : act.type;
  return (ACTIVATIONS as Record<string, ActivationDef>)[name];
}

/** Inputs for `act`: random values in its domain plus edge values (±20, ±40 for the exp-based ones, halves for rounding). */
function activationInput(act: Activation, n: number): Float32Array {
  const d = rowOf(act).domain;
  const edges = d === 'positive' ? [20, 40, 1e-3, 1, 0.5, 88] : d === 'nonzero' ? [20, -20, 1e-3, -1e-3, 0.5, -7] : [20, -20, 40, -40, 0, 1e-3, -1e-3, 2.5, -2.5, 0.5, -0.5, 3, -3, 88, -88, -100, 100];
  const v = d === undefined ? rng.uniform(n, -6, 6) : rng.uniform(n, 0.01, 6);
  if (d === 'nonzero') for (let i = 0; i < n; i += 2) v[i] = -v[i];
  v.set(edges.slice(0, Math.min(edges.length, n)));
  return v;
}

describe('activation', () => {
  for (const act of exampleActivations()) {
    const name = typeof act === 'string' ? act : act.type;
    it(`${name}: every shape and edge value equals the reference`, async () => {
      for (const shape of [[3], [2, 5, 7], [1, 1, 37, 41], [4, 3, 64, 67]] as Shape[]) { // the last large enough for several threads
        const n = shape.reduce((p, d) => p * d, 1);
        await check(`${name} ${JSON.stringify(shape)}`, [{ data: activationInput(act, n), shape }], (b, [x]) => b.activation(x, act), { atol: 1e-6, rtol: 4e-6 });
      }
    });
  }
  it('gelu tanh form', async () => {
    await check('gelu tanh', [{ data: activationInput('gelu', 999), shape: [999] }], (b, [x]) => b.activation(x, { type: 'gelu', approximate: 'tanh' }), { atol: 1e-6, rtol: 4e-6 });
  });
});

describe('conv2d and dense with every fused activation', () => {
  for (const act of exampleActivations()) {
    const name = typeof act === 'string' ? act : act.type;
    if (rowOf(act).domain !== undefined) continue; // log, sqrt, reciprocal of conv outputs of either sign: NaN where both are
    it(name, async () => {
      await check(`conv2d ${name}`, [rand([2, 3, 9, 10], -2, 2), rand([5, 3, 3, 3]), rand([5])], (b, [x, w, bias]) => b.conv2d(x, w, bias, { padding: 1, activation: act }), { atol: 2e-6, rtol: 1e-5 });
      await check(`depthwise ${name}`, [rand([2, 3, 9, 10], -2, 2), rand([3, 1, 3, 3]), rand([3])], (b, [x, w, bias]) => b.conv2d(x, w, bias, { padding: 1, groups: 3, activation: act }), { atol: 2e-6, rtol: 1e-5 });
      await check(`dense ${name}`, [rand([5, 17], -2, 2), rand([6, 17]), rand([6])], (b, [x, w, bias]) => b.dense(x, w, bias, act), { atol: 2e-6, rtol: 1e-5 });
    });
  }
});

describe('binary ops with broadcasting', () => {
  const shapes: [Shape, Shape][] = [
    [[2, 3, 5, 7], [2, 3, 5, 7]],
    [[4, 6, 1, 1], [4, 6, 9, 11]], // squeeze-excitation
    [[1, 6, 1, 1], [4, 6, 9, 11]], // per-channel
    [[3, 5, 7], [7]],
    [[3, 1, 7], [1, 5, 1]],
    [[2, 3, 5, 7], [2, 1, 5, 1]],
    [[5, 1], [1, 9]],
    [[1], [13, 3]],
    [[], [2, 3]],
    [[1, 1], [1]],
    [[2, 1, 3, 1, 2, 1, 3, 1, 2], [1, 2, 1, 3, 1, 2, 1, 3, 1]],
  ];
  const ops = ['add', 'mul', 'sub', 'div', 'max', 'min', 'equal', 'less', 'lessOrEqual', 'greater', 'greaterOrEqual', 'prelu'] as const;
  shapes.forEach(([sa, sb], i) => {
    it(`${JSON.stringify(sa)} ∘ ${JSON.stringify(sb)}, both orders, every op`, async () => {
      const a = rand(sa), b = rand(sb);
      // Some equal values, for the comparisons.
      if (a.data.length > 0 && b.data.length > 0) a.data[0] = b.data[0];
      for (const [x, y] of [[a, b], [b, a]]) {
        for (const op of ops) {
          const activation = i % 3 === 1 ? 'silu' : i % 3 === 2 ? 'relu' : undefined;
          await check(`${op} ${JSON.stringify(x.shape)} ${JSON.stringify(y.shape)} ${activation ?? ''}`, [x, y], (be, [u, v]) => be.prim(BINARY, [u, v], { op, activation }), { atol: 1e-6, rtol: 4e-6 });
        }
        await check('add', [x, y], (be, [u, v]) => be.add(u, v), { atol: 0, rtol: 0 });
        await check('mul', [x, y], (be, [u, v]) => be.mul(u, v), { atol: 0, rtol: 0 });
      }
    });
  });
  it('a large broadcast split over threads', async () => {
    await check('add silu', [rand([1, 2, 30001]), rand([3, 2, 30001])], (be, [u, v]) => be.prim(BINARY, [u, v], { op: 'add', activation: 'silu' }), { atol: 1e-6, rtol: 4e-6 });
    await check('mul', [rand([3, 2, 1]), rand([3, 2, 30001])], (be, [u, v]) => be.mul(u, v), { atol: 0, rtol: 0 });
  });
  it('an op without a wasm kernel (pow) runs the reference', async () => {
    await check('pow', [rand([3, 4], 0.1, 2), rand([4])], (be, [u, v]) => be.prim(BINARY, [u, v], { op: 'pow' }), { atol: 0, rtol: 0 });
  });
});

describe('pooling', () => {
  // [shape, kernel, stride, padding, ceilMode, countIncludePad, dilation]
  const cases: [Shape, [number, number], [number, number] | undefined, [number, number, number, number], boolean, boolean, [number, number]][] = [
    [[2, 3, 8, 8], [2, 2], undefined, [0, 0, 0, 0], false, false, [1, 1]],
    [[1, 4, 13, 17], [3, 3], [2, 2], [1, 1, 1, 1], false, false, [1, 1]],
    [[2, 2, 13, 17], [3, 3], [2, 2], [1, 1, 1, 1], true, true, [1, 1]],
    [[1, 3, 15, 29], [3, 3], [1, 1], [1, 1, 1, 1], false, true, [1, 1]],
    [[3, 2, 11, 10], [2, 3], [2, 1], [1, 0, 0, 1], true, false, [1, 1]],
    [[1, 2, 20, 21], [3, 3], [1, 2], [0, 0, 0, 0], false, false, [2, 3]],
    [[1, 5, 7, 31], [5, 5], [3, 3], [2, 2, 2, 2], true, true, [1, 1]],
    [[2, 3, 56, 57], [3, 3], [2, 2], [1, 1, 1, 1], false, false, [1, 1]],
    [[2, 8, 56, 57], [3, 3], [1, 1], [1, 1, 1, 1], false, true, [1, 1]], // enough work for several threads
  ];
  cases.forEach(([shape, kernelSize, stride, padding, ceilMode, countIncludePad, dilation]) => {
    for (const type of ['max', 'avg'] as const) {
      it(`${type} ${JSON.stringify(shape)} kernel ${kernelSize} stride ${stride ?? 'kernel'} pads ${padding}${ceilMode ? ' ceil' : ''}${countIncludePad ? ' countIncludePad' : ''} dilation ${dilation}`, async () => {
        await check('pool2d', [rand(shape)], (b, [x]) => b.pool2d(x, { type, kernelSize, stride, padding, ceilMode, countIncludePad, dilation }), { atol: 1e-6, rtol: 1e-6 });
      });
    }
  });
  it('max lets a NaN win', async () => {
    const x = rand([1, 1, 6, 9]);
    x.data[10] = NaN;
    await check('pool2d NaN', [x], (b, [t]) => b.pool2d(t, { type: 'max', kernelSize: 3, stride: 1, padding: 1 }), { atol: 0, rtol: 0 });
    await check('globalPool NaN', [x], (b, [t]) => b.globalPool(t, 'max'), { atol: 0, rtol: 0 });
  });
  for (const shape of [[2, 3, 7, 7], [1, 5, 1, 1], [3, 4, 13, 11], [1, 64, 56, 56]] as Shape[]) {
    it(`globalPool ${JSON.stringify(shape)}`, async () => {
      await check('globalPool max', [rand(shape)], (b, [x]) => b.globalPool(x, 'max'), { atol: 0, rtol: 0 });
      await check('globalPool avg', [rand(shape)], (b, [x]) => b.globalPool(x, 'avg'), { atol: 1e-6, rtol: 1e-5 });
    });
  }
  for (const [shape, outputSize] of [[[2, 3, 13, 11], [6, 6]], [[1, 4, 3, 2], [7, 5]], [[2, 2, 14, 14], 7], [[1, 3, 10, 9], [1, 1]]] as [Shape, number | [number, number]][]) {
    it(`adaptiveAvgPool ${JSON.stringify(shape)} to ${JSON.stringify(outputSize)}`, async () => {
      await check('adaptiveAvgPool', [rand(shape)], (b, [x]) => b.adaptiveAvgPool(x, { outputSize }), { atol: 1e-6, rtol: 1e-5 });
    });
  }
});

describe('batchNorm, softmax, log-softmax, concat', () => {
  for (const [shape, act] of [[[2, 3, 7, 9], undefined], [[1, 5, 13], 'relu'], [[4, 6], 'silu'], [[2, 16, 40, 41], { type: 'clip', min: 0, max: 6 }], [[1, 3, 5, 5], 'tanh']] as [Shape, Activation | undefined][]) {
    it(`batchNorm ${JSON.stringify(shape)} ${JSON.stringify(act) ?? ''}`, async () => {
      const C = shape[1];
      await check(
        'batchNorm',
        [rand(shape, -3, 3), rand([C], 0.5, 2), rand([C]), rand([C]), rand([C], 0.1, 2)],
        (b, [x, gamma, beta, mean, variance]) => b.batchNorm(x, { gamma, beta, mean, variance, epsilon: 1e-3, activation: act }),
        { atol: 2e-6, rtol: 1e-5 },
      );
    });
  }
  const softmaxCases: [Shape, number][] = [[[2, 10], -1], [[3, 1000], 1], [[2, 7, 5, 3], 1], [[2, 7, 5, 3], 3], [[2, 7, 5, 3], 0], [[4, 9, 8], 2], [[1, 21, 64, 64], 1], [[5], 0]];
  for (const [shape, axis] of softmaxCases) {
    it(`softmax ${JSON.stringify(shape)} axis ${axis}`, async () => {
      const x = rand(shape, -8, 8);
      x.data[0] = 30; // a dominant value
      await check('softmax', [x], (b, [t]) => b.softmax(t, axis), { atol: 1e-7, rtol: 1e-5 });
      // log-softmax is a primitive, run by the softmax layer with log.
      const model = (b: Backend) => {
        const i = input({ shape, name: 'x' });
        return new Model({ inputs: i, outputs: apply({ type: 'softmax', axis, log: true }, i, 'ls'), name: 'ls', backend: b });
      };
      const want = await model(ref).predict(x.data);
      const got = await Promise.all(wasm.map((b) => model(b).predict(x.data)));
      expectClose(got[0], want, { atol: 2e-6, rtol: 1e-5 }, 'log-softmax');
      for (const g of got.slice(1)) expect(g).toEqual(got[0]);
    });
  }
  it('concat along every axis, inputs of different sizes', async () => {
    for (const axis of [0, 1, 2, 3]) {
      const shapes: Shape[] = [3, 1, 4].map((k) => [2, 3, 4, 5].map((d, i) => (i === axis ? k : d)));
      await check(`concat axis ${axis}`, shapes.map((s) => rand(s)), (b, xs) => b.concat(xs, axis), { atol: 0, rtol: 0 });
    }
  });
});

describe('resample (resize, pad)', () => {
  const layersToTry: [string, Shape, object][] = [
    ['nearest 2× (U-Net)', [2, 3, 7, 9], { type: 'resize', scales: [1, 1, 2, 2], mode: 'nearest' }],
    ['linear 2× align_corners', [1, 4, 9, 6], { type: 'resize', scales: [1, 1, 2, 2], mode: 'linear', coordinateTransform: 'align_corners' }],
    ['linear to 13×17 half_pixel', [2, 2, 8, 11], { type: 'resize', sizes: [2, 2, 13, 17], mode: 'linear' }],
    ['cubic down to 5×4', [1, 3, 11, 10], { type: 'resize', sizes: [1, 3, 5, 4], mode: 'cubic' }],
    ['tf_crop_and_resize with extrapolation', [1, 2, 6, 7], { type: 'resize', sizes: [1, 2, 9, 9], mode: 'linear', coordinateTransform: 'tf_crop_and_resize', roi: [0, 0, -0.2, 0.1, 1, 1, 1.3, 0.8], extrapolationValue: 5 }],
    ['nearest 2× large (threads)', [1, 16, 56, 57], { type: 'resize', scales: [1, 1, 2, 2], mode: 'nearest' }],
    ['constant pad of H and W', [2, 3, 5, 6], { type: 'pad', pads: [0, 0, 1, 2, 0, 0, 3, 1], value: 0.5 }],
    ['reflect pad of W', [2, 3, 5, 6], { type: 'pad', pads: [0, 0, 0, 2, 0, 0, 0, 3], mode: 'reflect' }],
    ['pad of C (the reference)', [2, 3, 5, 6], { type: 'pad', pads: [0, 1, 0, 0, 0, 2, 0, 0] }],
  ];
  for (const [label, shape, layer] of layersToTry) {
    it(label, async () => {
      await checkLayer(label, shape, layer, { atol: 1e-6, rtol: 1e-5 });
    });
  }
});

describe('transpose', () => {
  const cases: [Shape, number[] | undefined][] = [
    [[7], [0]],
    [[3, 5], [1, 0]],
    [[2, 3, 5], undefined],
    [[2, 3, 5, 7], [0, 2, 3, 1]],
    [[2, 3, 5, 7], [0, 3, 1, 2]],
    [[3, 1, 4, 5], [2, 0, 3, 1]],
    [[2, 4, 3, 5, 3], [0, 2, 1, 3, 4]], // channel shuffle
    [[2, 3, 1, 2, 3, 2], [5, 4, 3, 2, 1, 0]],
    [[1, 64, 33, 65], [0, 2, 3, 1]], // enough for several threads
    [[], []],
  ];
  for (const [shape, perm] of cases) {
    it(`${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, async () => {
      await checkLayer('transpose', shape, perm ? { type: 'transpose', perm } : { type: 'transpose' }, { atol: 0, rtol: 0 });
    });
  }
});
