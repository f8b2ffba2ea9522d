// The wasm backend's conv2d and dense (wasm/conv2d.ts, wasm/dense.ts, wasm/gemm.ts) against the
// reference backend over randomized shapes: odd sizes, strides, padding ('same' too), dilation,
// groups, connection tables (LeNet-5's C3), batch > 1, 1×1 convs that read the input directly,
// every activation (fused in the epilogue or applied after), batches that take the dot-product
// path and the GEMM path; and the same results on 1, 2 and 4 threads (each output value is
// summed by one thread in one order, so they agree bit for bit).
import { describe, it, expect, afterAll } from 'vitest';
import { createBackend, Model, input, apply, type Backend, type Activation, type Conv2dParams, type Tensor, type LayerConfig } from 'webcnn';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const TOL = { atol: 2e-5, rtol: 2e-5 };

const backends: Backend[] = [];
async function make(backend: 'wasm' | 'reference', threads?: number): Promise<Backend> {
  const b = (await createBackend({ backend, threads })).backend;
  backends.push(b);
  return b;
}
afterAll(() => {
  for (const b of backends) b.dispose();
});

interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number] | [number, number, number];
  bias?: boolean;
  params: Conv2dParams;
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 1, 5, 5], w: [1, 1, 3, 3], params: {} },
  { x: [2, 3, 9, 7], w: [5, 3, 3, 3], bias: true, params: { padding: 1, activation: 'relu' } },
  { x: [3, 6, 11, 13], w: [6, 2, 3, 3], bias: true, params: { stride: 2, padding: 1, groups: 3 } },
  { x: [1, 8, 12, 12], w: [16, 8, 1, 1], bias: true, params: { activation: 'relu6' } },
  { x: [2, 7, 5, 9], w: [9, 7, 1, 1], params: { activation: { type: 'leakyRelu', alpha: 0.1 } } },
  { x: [1, 4, 10, 10], w: [4, 1, 3, 3], bias: true, params: { padding: 1, groups: 4, activation: 'hardSwish' } },
  { x: [1, 5, 17, 15], w: [7, 5, 5, 5], bias: true, params: { stride: [2, 1], padding: [2, 1], dilation: [1, 2], activation: 'sigmoid' } },
  { x: [2, 3, 23, 23], w: [10, 3, 7, 7], bias: true, params: { stride: 2, padding: 3, activation: 'tanh' } },
  { x: [1, 6, 8, 8], w: [12, 6, 3, 3], params: { padding: 'same', dilation: 2, activation: 'gelu' } },
  { x: [1, 33, 6, 6], w: [35, 33, 3, 3], bias: true, params: { padding: 1, activation: { type: 'clip', min: -0.5, max: 0.5 } } },
  { x: [1, 64, 9, 9], w: [64, 64, 3, 3], bias: true, params: { padding: 1, activation: 'relu' } },
  { x: [2, 6, 14, 14], w: [23, 5, 5], bias: true, params: { connectionTable: [[0, 1], [1, 2, 3], [5], [0, 5], [2, 3, 4], [0, 1, 2, 3, 4, 5], [4], [3], [1, 4], [0, 2]] } },
];

describe('wasm conv2d', () => {
  const rng = new Rng(1701);
  for (const c of CONV_CASES) {
    it(`x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.params)} equals the reference`, async () => {
      const [wasm, ref] = [await make('wasm', 2), await make('reference')];
      const xs = rng.uniform(c.x.reduce((a, b) => a * b, 1));
      const ws = rng.uniform(c.w.reduce((a, b) => a * b, 1));
      const bs = rng.uniform(c.params.connectionTable?.length ?? c.w[0]);
      const run = (b: Backend): Promise<Float32Array> =>
        b.conv2d(b.tensor(xs, c.x), b.tensor(ws, c.w), c.bias ? b.tensor(bs, [bs.length]) : undefined, c.params).read();
      const [got, want] = [await run(wasm), await run(ref)];
      expectClose(got, want, TOL, 'conv2d');
    });
  }

  it('gives the same bits on 1, 2 and 4 threads', async () => {
    const rng2 = new Rng(7);
    const xs = rng2.uniform(2 * 16 * 20 * 20), ws = rng2.uniform(24 * 16 * 9), bs = rng2.uniform(24);
    const outs: Float32Array[] = [];
    for (const threads of [1, 2, 4]) {
      const b = await make('wasm', threads);
      outs.push(await b.conv2d(b.tensor(xs, [2, 16, 20, 20]), b.tensor(ws, [24, 16, 3, 3]), b.tensor(bs, [24]), { padding: 1, activation: 'relu' }).read());
    }
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
  });
});

describe('wasm dense', () => {
  const rng = new Rng(1702);
  const CASES: [number, number, number, Activation | undefined][] = [
    [1, 1, 1, undefined],
    [1, 37, 10, 'relu'],
    [3, 100, 33, 'sigmoid'],
    [4, 9, 5, undefined],
    [5, 100, 33, { type: 'leakyRelu', alpha: 0.2 }],
    [17, 256, 120, 'tanh'],
    [64, 31, 7, 'relu6'],
  ];
  for (const [n, inF, outF, act] of CASES) {
    it(`(${n}, ${inF}) → ${outF} ${JSON.stringify(act ?? 'none')} equals the reference`, async () => {
      const [wasm, ref] = [await make('wasm', 2), await make('reference')];
      const xs = rng.uniform(n * inF), ws = rng.uniform(outF * inF), bs = rng.uniform(outF);
      const run = (b: Backend): Promise<Float32Array> => b.dense(b.tensor(xs, [n, inF]), b.tensor(ws, [outF, inF]), b.tensor(bs, [outF]), act).read();
      expectClose(await run(wasm), await run(ref), TOL, 'dense');
    });
  }

  it('gives the same bits on 1, 2 and 4 threads, for both paths', async () => {
    const rng2 = new Rng(8);
    for (const n of [2, 12]) {
      const xs = rng2.uniform(n * 300), ws = rng2.uniform(70 * 300);
      const outs: Float32Array[] = [];
      for (const threads of [1, 2, 4]) {
        const b = await make('wasm', threads);
        const t: Tensor = b.dense(b.tensor(xs, [n, 300]), b.tensor(ws, [70, 300]), undefined);
        outs.push(await t.read());
      }
      expect(outs[1]).toEqual(outs[0]);
      expect(outs[2]).toEqual(outs[0]);
    }
  });
});

describe('wasm conv2dTranspose (conv2d backward-input kernel, then bias and activation)', () => {
  const rng = new Rng(1703);
  const CASES: { x: [number, number, number, number]; layer: Record<string, unknown> }[] = [
    { x: [1, 4, 5, 5], layer: { filters: 3, kernelSize: 2, strides: 2 } },
    { x: [2, 6, 7, 9], layer: { filters: 5, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: 'relu' } },
    { x: [1, 8, 6, 6], layer: { filters: 8, kernelSize: 4, strides: 2, padding: 1, groups: 2, activation: 'sigmoid' } },
    { x: [3, 3, 4, 7], layer: { filters: 2, kernelSize: [3, 1], strides: [1, 2], dilation: [2, 1], useBias: false } },
    { x: [1, 16, 8, 8], layer: { filters: 8, kernelSize: 2, strides: 2 } }, // U-Net's up-conv
  ];
  for (const c of CASES) {
    it(`x ${JSON.stringify(c.x)} ${JSON.stringify(c.layer)} equals the reference on 1 and 3 threads`, async () => {
      const build = (b: Backend) => {
        const x = input({ shape: c.x, name: 'x' });
        return new Model({ inputs: x, outputs: apply({ type: 'conv2dTranspose', ...c.layer } as LayerConfig, x, 'up'), name: 'up', backend: b });
      };
      const ref = build(await make('reference'));
      ref.setWeights(new Map([...ref.parameterShapes()].map(([k, s]) => [k, rng.uniform(s.reduce((a, d) => a * d, 1))])));
      const xs = rng.uniform(c.x.reduce((a, b) => a * b, 1));
      const want = await ref.predict(xs);
      for (const threads of [1, 3]) {
        const m = build(await make('wasm', threads));
        m.setWeights(ref.getWeights());
        expectClose(await m.predict(xs), want, TOL, 'conv2dTranspose');
        m.dispose();
      }
      ref.dispose();
    });
  }
});

describe('wasm conv2d whose window is the whole input (run as dense)', () => {
  const rng = new Rng(1704);
  for (const [n, c, h, w, co, act] of [[1, 16, 5, 5, 120, 'tanh'], [64, 16, 5, 5, 120, undefined], [3, 2, 3, 7, 5, 'relu']] as const) {
    it(`(${n}, ${c}, ${h}, ${w}) × ${co} filters of ${h}×${w} equals the reference`, async () => {
      const [wasm, ref] = [await make('wasm', 2), await make('reference')];
      const xs = rng.uniform(n * c * h * w), ws = rng.uniform(co * c * h * w), bs = rng.uniform(co);
      const run = (b: Backend): Promise<Float32Array> =>
        b.conv2d(b.tensor(xs, [n, c, h, w]), b.tensor(ws, [co, c, h, w]), b.tensor(bs, [co]), act ? { activation: act } : {}).read();
      expectClose(await run(wasm), await run(ref), TOL, 'conv2d');
    });
  }
});
