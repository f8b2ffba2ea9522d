// The matmul layer's transposeA / transposeB flags (an operand read with its last two axes
// swapped, no copy): equal to a transpose layer then a plain matmul, on the CPU and the GPU,
// for two computed operands, a weight second or first, broadcast batches and rank-1 operands
// (no axes to swap); trained GPU = CPU and against finite differences; and the ONNX importer
// folding a Transpose that swaps the last two axes into the MatMul or Gemm reading it.
import { describe, it, expect } from 'vitest';
import { Model, input, apply, layers, CpuBackend, type Backend, type LayerConfig, type Shape, type SymbolicTensor } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { importOnnx } from 'webcnn/onnx';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';
import { encodeModel, type ModelSpec } from './helpers/onnx_encoder.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const swapLast = (s: Shape): number[] => (s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : [...s]);
const swapPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2));
/** GPU sums of up to a dozen float32 products against the CPU's float64 ones. */
const TOL = { atol: 1e-5, rtol: 1e-4 };

// [stored A, stored B, transposeA, transposeB]: the product reads each as given or swapped.
const CASES: [Shape, Shape, boolean, boolean][] = [
  [[4, 3], [4, 5], true, false],
  [[3, 4], [5, 4], false, true],
  [[4, 3], [5, 4], true, true],
  [[2, 5, 3], [2, 5, 7], true, false],
  [[3, 1, 6, 2], [4, 5, 6], true, true], // broadcast batch
  [[2, 3, 7], [7], false, true], // a rank-1 operand has no axes to swap
  [[9], [3, 9], true, true],
];

/** A model whose inputs (or weight) are the stored operands: with flags, or with transpose layers before a plain matmul. */
function productModel(backend: Backend, as: Shape, bs: Shape, ta: boolean, tb: boolean, how: 'flags' | 'transpose', weight?: 'first' | 'second'): Model {
  const t = (x: SymbolicTensor, s: Shape, on: boolean, name: string) => (on && s.length >= 2 ? apply(layers.transpose(swapPerm(s.length)), x, name) : x);
  const flags: LayerConfig = { type: 'matmul', ...(ta ? { transposeA: true } : {}), ...(tb ? { transposeB: true } : {}) };
  if (weight) {
    const xs = weight === 'second' ? as : bs;
    const ws = weight === 'second' ? bs : as;
    const x = input({ shape: xs, name: 'x' });
    const w = { weightShape: ws, ...(weight === 'first' ? { weightFirst: true } : {}) };
    if (how === 'flags') return new Model({ inputs: x, outputs: apply({ ...flags, ...w }, x, 'op'), name: 'mm', backend, seed: 2 });
    // The same product with the weight stored transposed (its values set by the caller) and no flag on it.
    const xt = t(x, xs, weight === 'second' ? ta : tb, 'tx');
    const read = weight === 'second' ? (tb ? swapLast(bs) : bs) : ta ? swapLast(as) : as;
    const y = apply({ type: 'matmul', weightShape: read, ...(weight === 'first' ? { weightFirst: true } : {}) }, xt, 'op');
    return new Model({ inputs: x, outputs: y, name: 'mm', backend, seed: 2 });
  }
  const a = input({ shape: as, name: 'a' });
  const b = input({ shape: bs, name: 'b' });
  if (how === 'flags') return new Model({ inputs: [a, b], outputs: apply(flags, [a, b], 'op'), name: 'mm', backend });
  return new Model({ inputs: [a, b], outputs: apply({ type: 'matmul' }, [t(a, as, ta, 'ta'), t(b, bs, tb, 'tb')], 'op'), name: 'mm', backend });
}

/** Row-major data of shape s with its last two axes swapped. */
function transposed(x: Float32Array, s: Shape): Float32Array {
  if (s.length < 2) return x;
  const [r, c] = s.slice(-2);
  const out = new Float32Array(x.length);
  for (let m = 0; m < x.length / (r * c); m++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[m * r * c + j * r + i] = x[m * r * c + i * c + j];
  return out;
}

describe('matmul transposeA / transposeB', () => {
  const rng = new Rng(71);
  for (const [as, bs, ta, tb] of CASES) {
    gpuIt(`${JSON.stringify(as)}${ta ? 'ᵀ' : ''} × ${JSON.stringify(bs)}${tb ? 'ᵀ' : ''}: flags equal transpose layers, GPU equals CPU, weights too`, async (gpu) => {
      const a = rng.uniform(numel(as));
      const b = rng.uniform(numel(bs));
      const [ref] = await productModel(new CpuBackend(), as, bs, ta, tb, 'transpose').predictAll([a, b]);
      const onCpu = productModel(new CpuBackend(), as, bs, ta, tb, 'flags');
      expect(onCpu.outputShapes()).toEqual(productModel(new CpuBackend(), as, bs, ta, tb, 'transpose').outputShapes());
      expectClose((await onCpu.predictAll([a, b]))[0], ref, TOL, 'CPU flags');
      const onGpu = productModel(gpu, as, bs, ta, tb, 'flags');
      expectClose((await onGpu.predictAll([a, b]))[0], ref, TOL, 'GPU flags');
      onGpu.dispose();
      for (const weight of ['second', 'first'] as const) {
        const [x, w, ws, t] = weight === 'second' ? [a, b, bs, tb] : [b, a, as, ta];
        const plain = productModel(new CpuBackend(), as, bs, ta, tb, 'transpose', weight);
        plain.setWeights({ 'op.weight': t ? transposed(w, ws) : w });
        const want = await plain.predict(x);
        expectClose(want, ref, TOL, `${weight} weight, plain`);
        for (const backend of [new CpuBackend(), gpu] as Backend[]) {
          const m = productModel(backend, as, bs, ta, tb, 'flags', weight);
          m.setWeights({ 'op.weight': w });
          expectClose(await m.predict(x), ref, TOL, `${weight} weight, ${backend.name}`);
          m.dispose();
        }
      }
    });
  }
});

/** x (N, 3, 4) → scale → (xᵀ · x-slice) with flags, and a weight read transposed on each side → flatten → dense(3). */
function trainNet(backend: Backend): Model {
  const x = input([3, 4], 'x');
  const s = apply({ type: 'binaryConst', op: 'mul', shape: [3, 4] }, x, 'scale');
  const m1 = apply({ type: 'matmul', transposeA: true }, [s, s], 'gram'); // (N, 4, 4): sᵀ s
  const m2 = apply({ type: 'matmul', weightShape: [5, 4], transposeB: true }, m1, 'right'); // (N, 4, 5)
  const m3 = apply({ type: 'matmul', weightShape: [5, 2], weightFirst: true, transposeA: true, transposeB: true }, m2, 'left'); // (2,5)·(N,5,4) → (N, 2, 4)
  const y = apply(layers.dense({ units: 3 }), apply(layers.flatten(), m3, 'flat'), 'fc');
  const model = new Model({ inputs: x, outputs: y, name: 'net', backend, seed: 5 });
  model.setWeights(new Map(model.getWeights()).set('scale.value', new Rng(6).uniform(12, 0.5, 1.5)));
  return model;
}

describe('matmul with transpose flags trains', () => {
  const data = { images: new Rng(72).uniform(4 * 12), labels: new Float32Array([0, 1, 2, 1]) };
  gpuIt('two SGD steps on the GPU give the CPU weights', async (gpu) => {
    const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.05 } } as const;
    const onGpu = trainNet(gpu);
    const onCpu = trainNet(new CpuBackend());
    await fit(onGpu, data, opts);
    await fit(onCpu, data, opts);
    const want = onCpu.getWeights();
    for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, TOL, k);
    onGpu.dispose();
  });

  it('the gradient of every weight equals finite differences (CPU)', async () => {
    const backend = new CpuBackend();
    const model = trainNet(backend);
    const before = model.getWeights();
    await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
    const after = model.getWeights();
    for (const key of ['scale.value', 'right.weight', 'left.weight']) {
      const w0 = before.get(key)!;
      for (let i = 0; i < w0.length; i += 2) {
        const at = async (d: number) => {
          const m = trainNet(backend);
          const v = w0.slice();
          v[i] += d;
          m.setWeights(new Map(before).set(key, v));
          return (await evaluate(m, data)).loss;
        };
        const numeric = ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
        const analytic = w0[i] - after.get(key)![i];
        expect(Math.abs(analytic - numeric), `${key}[${i}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
      }
    }
  });
});

describe('ONNX: a Transpose swapping the last two axes folds into the MatMul or Gemm reading it', () => {
  const rng = new Rng(73);
  type Case = [string, ModelSpec, Shape[], string[]];
  const mm = (nodes: ModelSpec['nodes'], inputs: [string, Shape][], initializers: ModelSpec['initializers'] = []): ModelSpec => ({
    nodes, inputs: inputs.map(([name, dims]) => ({ name, dims })), outputs: [{ name: 'y', dims: [] }], initializers,
  });
  const W = (name: string, dims: number[]) => ({ name, dims, values: [...rng.uniform(numel(dims))] });
  // [what, model, input shapes, layer types it imports as]
  const cases: Case[] = [
    ['MatMul(Transpose(A, [0, 2, 1]), B)', mm([{ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [0, 2, 1] } }, { op: 'MatMul', inputs: ['at', 'b'], outputs: ['y'] }], [['a', [2, 4, 3]], ['b', [2, 4, 5]]]), [[2, 4, 3], [2, 4, 5]], ['matmul']],
    ['MatMul(A, Transpose(B)) with the default perm', mm([{ op: 'Transpose', inputs: ['b'], outputs: ['bt'] }, { op: 'MatMul', inputs: ['a', 'bt'], outputs: ['y'] }], [['a', [3, 4]], ['b', [5, 4]]]), [[3, 4], [5, 4]], ['matmul']],
    ['MatMul(Transpose(X), W) with W constant', mm([{ op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['xt', 'w'], outputs: ['y'] }], [['x', [4, 3]]], [W('w', [4, 5])]), [[4, 3]], ['matmul']],
    ['MatMul(W, Transpose(X, [0, 1, 3, 2])) with W constant first', mm([{ op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 1, 3, 2] } }, { op: 'MatMul', inputs: ['w', 'xt'], outputs: ['y'] }], [['x', [2, 2, 4, 3]]], [W('w', [5, 3])]), [[2, 2, 4, 3]], ['matmul']],
    ['Gemm(Transpose(A), B, C) with alpha, B computed', mm([{ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [1, 0] } }, { op: 'Gemm', inputs: ['at', 'b', 'c'], outputs: ['y'], attrs: { alpha: { float: 0.5 } } }], [['a', [4, 3]], ['b', [4, 5]]], [W('c', [5])]), [[4, 3], [4, 5]], ['matmul', 'binaryConst', 'binaryConst']],
    ['Gemm(Transpose(A), W, transA = 1): the two transposes cancel, a dense layer', mm([{ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [1, 0] } }, { op: 'Gemm', inputs: ['at', 'w', 'c'], outputs: ['y'], attrs: { transA: 1 } }], [['a', [3, 4]]], [W('w', [4, 5]), W('c', [5])]), [[3, 4]], ['dense']],
    ['Gemm(A, B, transA = 1, transB = 1), both computed', mm([{ op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attrs: { transA: 1, transB: 1 } }], [['a', [4, 3]], ['b', [5, 4]]]), [[4, 3], [5, 4]], ['matmul']],
    ['a Transpose of other axes stays', mm([{ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [1, 0, 2] } }, { op: 'MatMul', inputs: ['at', 'b'], outputs: ['y'] }], [['a', [3, 2, 4]], ['b', [4, 5]]]), [[3, 2, 4], [4, 5]], ['transpose', 'matmul']],
  ];
  // A Transpose read by the MatMul and returned too: the product still reads its input, the layer stays for the output.
  const shared: ModelSpec = {
    ...mm([{ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['at', 'b'], outputs: ['y'] }], [['a', [4, 3]], ['b', [4, 2]]]),
    outputs: [{ name: 'y', dims: [] }, { name: 'at', dims: [] }],
  };
  cases.push(['a Transpose also returned as an output', shared, [[4, 3], [4, 2]], ['transpose', 'matmul']]);

  /** The same graph computed without folding: each Transpose replaced by its values transposed on the host. */
  gpuIt('each imports with no transpose layer where it folds, and equals the product of the transposed values, on the CPU and the GPU', async (gpu) => {
    for (const [what, spec, shapes, types] of cases) {
      const xs = shapes.map((s) => rng.uniform(numel(s)));
      const ref = await importOnnx(encodeModel(spec), { backend: new CpuBackend(), label: what }).predictAll(xs);
      for (const backend of [new CpuBackend(), gpu] as Backend[]) {
        const model = importOnnx(encodeModel(spec), { backend, label: what });
        expect(model.graph.nodes.map((n) => n.layer.type), what).toEqual(types);
        const outs = await model.predictAll(xs);
        outs.forEach((o, i) => expectClose(o, ref[i], TOL, `${what} (${backend.name})`));
        model.dispose();
      }
      // Against the host: the first Transpose's input transposed, fed to the graph without it.
      const t = spec.nodes[0];
      if (t.op === 'Transpose' && spec.outputs.length === 1) {
        const k = spec.inputs.findIndex((i) => i.name === t.inputs[0]);
        const perm = (t.attrs?.perm as number[] | undefined) ?? [...shapes[k].keys()].reverse();
        const host = Float32Array.from({ length: numel(shapes[k]) }, (_, i) => {
          const outShape = perm.map((p) => shapes[k][p]);
          const coord = outShape.map((_, d) => Math.floor(i / numel(outShape.slice(d + 1))) % outShape[d]);
          const src = new Array<number>(perm.length);
          perm.forEach((p, d) => (src[p] = coord[d]));
          return xs[k][src.reduce((s, c, d) => s + c * numel(shapes[k].slice(d + 1)), 0)];
        });
        const without: ModelSpec = {
          ...spec,
          nodes: spec.nodes.slice(1).map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === t.outputs[0] ? t.inputs[0] : i)) })),
          inputs: spec.inputs.map((i, j) => (j === k ? { ...i, dims: perm.map((p) => shapes[k][p]) } : i)),
        };
        const direct = await importOnnx(encodeModel(without), { backend: new CpuBackend() }).predictAll(xs.map((x, j) => (j === k ? host : x)));
        expectClose(ref[0], direct[0], TOL, `${what} against the host transpose`);
      }
    }
  });
});
