// Data-movement layers on computed values: slice (strided views, negative indices and steps,
// clamping, any axes), tile, expand (bidirectional broadcast) and gather (constant or computed
// indices, negative ones, a scalar index dropping the axis). GPU vs the CPU reference over odd
// shapes of rank 1 to 5 with batch > 1; the CPU twin against plain index arithmetic; every
// gradient trained GPU = CPU and against finite differences.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Model, input, apply, layers, CpuBackend, ShapeError, type Backend, type LayerConfig, type Shape, type SymbolicTensor } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { decodeTensor, importOnnx, inspectOnnx, loadOnnx, tensorFromProto, type ConstTensor, type OnnxConstant } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const EXACT = { atol: 0, rtol: 0 };
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]): number[] => s.map((_, i) => numel(s.slice(i + 1)));

/** A model of one layer (with an optional second, computed input) over inputs of these whole shapes. */
function oneLayer(backend: Backend, layer: LayerConfig, shapes: readonly Shape[]): Model {
  const xs = shapes.map((shape, i) => input({ shape, name: `x${i}` }));
  return new Model({ inputs: xs, outputs: apply(layer, xs.length === 1 ? xs[0] : xs, 'op'), name: layer.type, backend });
}

/** Output element → input offset, for an output of `outShape` whose axis d reads input coordinate pick[d](c). */
function reference(x: Float32Array, xShape: Shape, outShape: Shape, pick: (d: number, c: number) => number): Float32Array {
  const xs = stridesOf(xShape);
  const os = stridesOf(outShape);
  return Float32Array.from({ length: numel(outShape) }, (_, i) => x[outShape.reduce((s, _d, d) => s + pick(d, Math.floor(i / os[d]) % outShape[d]) * xs[d], 0)]);
}

/** The indices ONNX's Slice takes along one axis of size n (the spec's clamping, listed one by one). */
function sliceIndices(n: number, start: number, end: number, step: number): number[] {
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  const out: number[] = [];
  if (step > 0) {
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, 0), n);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = Math.min(Math.max(s, 0), n - 1);
    e = Math.min(Math.max(e, -1), n - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

interface SliceCase {
  shape: Shape;
  starts: number[];
  ends: number[];
  axes?: number[];
  steps?: number[];
}

const SLICES: SliceCase[] = [
  { shape: [7], starts: [1], ends: [6], steps: [2] },
  { shape: [7], starts: [-1], ends: [-8], steps: [-1] }, // reversed, whole
  { shape: [3, 5], starts: [0, 1], ends: [3, -1] },
  { shape: [2, 5, 4], starts: [1, 0], ends: [5, -1], axes: [1, 2], steps: [2, 1] }, // x[:, 1::2, :-1]
  { shape: [2, 6, 5, 3], starts: [3], ends: [6], axes: [1] }, // a channel split's second half
  { shape: [3, 4, 9, 7], starts: [1, 1], ends: [-1, -1], axes: [-2, -1] }, // U-Net crop
  { shape: [2, 3, 5, 7], starts: [4, 100], ends: [-100, 0], axes: [2, 3], steps: [-2, -3] }, // clamped, backwards
  { shape: [2, 3, 4, 5, 3], starts: [0, 2, 1], ends: [2, 9, 2 ** 53], axes: [0, 4, 1], steps: [1, -1, 2] },
  { shape: [2, 3, 4], starts: [2], ends: [2], axes: [1] }, // empty
];

describe('slice', () => {
  const rng = new Rng(41);
  for (const c of SLICES) {
    const label = `${JSON.stringify(c.shape)} [${c.starts}:${c.ends}${c.steps ? `:${c.steps}` : ''}] axes ${c.axes ? JSON.stringify(c.axes) : 'default'}`;
    gpuIt(`${label}: GPU equals CPU equals index arithmetic`, async (gpu) => {
      const layer = layers.slice({ starts: c.starts, ends: c.ends, axes: c.axes, steps: c.steps });
      const x = rng.uniform(numel(c.shape));
      const axes = (c.axes ?? c.starts.map((_, i) => i)).map((a) => (a < 0 ? a + c.shape.length : a));
      const picks = c.shape.map((n, d) => {
        const k = axes.indexOf(d);
        return k < 0 ? Array.from({ length: n }, (_, i) => i) : sliceIndices(n, c.starts[k], c.ends[k], c.steps?.[k] ?? 1);
      });
      const outShape = picks.map((p) => p.length);
      const onCpu = oneLayer(new CpuBackend(), layer, [c.shape]);
      expect(onCpu.outputShapes()[0]).toEqual(outShape);
      const want = reference(x, c.shape, outShape, (d, i) => picks[d][i]);
      const ref = await onCpu.predict(x);
      expectClose(ref, want, EXACT, 'CPU');
      const onGpu = oneLayer(gpu, layer, [c.shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'GPU');
      onGpu.dispose();
    });
  }

  gpuIt('24 random slices of ranks 1 to 5 (random axes, signs, steps and clamping): GPU equals CPU equals index arithmetic', async (gpu) => {
    for (let t = 0; t < 24; t++) {
      const rank = rng.int(1, 5);
      const shape = Array.from({ length: rank }, () => rng.int(1, 6));
      const axes = shape.map((_, i) => i).filter(() => rng.next() < 0.6);
      if (axes.length === 0) axes.push(rng.int(0, rank - 1));
      const c: SliceCase = {
        shape,
        axes: axes.map((a) => (rng.next() < 0.3 ? a - rank : a)),
        starts: axes.map((a) => rng.int(-shape[a] - 2, shape[a] + 2)),
        ends: axes.map((a) => rng.int(-shape[a] - 2, shape[a] + 2)),
        steps: axes.map(() => rng.pick([-3, -2, -1, 1, 1, 2, 3])),
      };
      const layer = layers.slice({ starts: c.starts, ends: c.ends, axes: c.axes, steps: c.steps });
      const x = rng.uniform(numel(shape));
      const picks = shape.map((n, d) => {
        const k = axes.indexOf(d);
        return k < 0 ? Array.from({ length: n }, (_, i) => i) : sliceIndices(n, c.starts[k], c.ends[k], c.steps![k]);
      });
      const outShape = picks.map((p) => p.length);
      const label = JSON.stringify(c);
      const onCpu = oneLayer(new CpuBackend(), layer, [shape]);
      expect(onCpu.outputShapes()[0], label).toEqual(outShape);
      const ref = await onCpu.predict(x);
      expectClose(ref, reference(x, shape, outShape, (d, i) => picks[d][i]), EXACT, `CPU ${label}`);
      const onGpu = oneLayer(gpu, layer, [shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, `GPU ${label}`);
      onGpu.dispose();
    }
  });

  it('refuses a zero step and a repeated axis, naming the layer', () => {
    expect(() => oneLayer(new CpuBackend(), layers.slice({ starts: [0], ends: [2], steps: [0] }), [[3, 4]]).info()).toThrow("slice 'op': step 0 of axis 0 must be a non-zero integer");
    expect(() => oneLayer(new CpuBackend(), layers.slice({ starts: [0, 0], ends: [2, 2], axes: [1, -1] }), [[3, 4]]).info()).toThrow(ShapeError);
  });
});

describe('tile and expand', () => {
  const rng = new Rng(42);
  const TILES: [Shape, number[]][] = [
    [[5], [3]],
    [[2, 3], [1, 2]],
    [[2, 1, 3], [2, 3, 1]],
    [[1, 3, 2, 2], [2, 1, 3, 2]],
    [[2, 2, 1, 3, 2], [1, 2, 3, 1, 2]],
  ];
  for (const [shape, repeats] of TILES) {
    gpuIt(`tile ${JSON.stringify(shape)} by ${JSON.stringify(repeats)}: GPU equals CPU equals index arithmetic`, async (gpu) => {
      const x = rng.uniform(numel(shape));
      const outShape = shape.map((d, i) => d * repeats[i]);
      const ref = await oneLayer(new CpuBackend(), layers.tile(repeats), [shape]).predict(x);
      expectClose(ref, reference(x, shape, outShape, (d, c) => c % shape[d]), EXACT, 'CPU');
      const onGpu = oneLayer(gpu, layers.tile(repeats), [shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'GPU');
      onGpu.dispose();
    });
  }
  const EXPANDS: [Shape, number[], Shape][] = [
    [[1], [4], [4]],
    [[3, 1], [2, 1, 5], [2, 3, 5]], // bidirectional: the 1 keeps 3, the input's 1 becomes 5
    [[2, 1, 3], [1, 4, 1], [2, 4, 3]],
    [[1, 3, 1, 1], [2, 1, 2, 3], [2, 3, 2, 3]],
    [[3, 1, 2], [2, 1, 3, 4, 2], [2, 1, 3, 4, 2]],
  ];
  for (const [shape, target, outShape] of EXPANDS) {
    gpuIt(`expand ${JSON.stringify(shape)} to ${JSON.stringify(target)}: GPU equals CPU equals broadcasting`, async (gpu) => {
      const x = rng.uniform(numel(shape));
      const onCpu = oneLayer(new CpuBackend(), layers.expand(target), [shape]);
      expect(onCpu.outputShapes()[0]).toEqual(outShape);
      const padded = [...outShape.slice(0, outShape.length - shape.length).map(() => 1), ...shape];
      const ref = await onCpu.predict(x);
      expectClose(ref, reference(x, padded, outShape, (d, c) => (padded[d] === 1 ? 0 : c)), EXACT, 'CPU');
      const onGpu = oneLayer(gpu, layers.expand(target), [shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'GPU');
      onGpu.dispose();
    });
  }
  it('refuses an expand whose shape does not broadcast, and repeats that are not one per axis, naming the layer', () => {
    expect(() => oneLayer(new CpuBackend(), layers.expand([2, 4]), [[3, 3]]).info()).toThrow("expand 'op': the input [3,3] does not broadcast with the shape [2,4]");
    expect(() => oneLayer(new CpuBackend(), layers.tile([2]), [[3, 3]]).info()).toThrow("tile 'op': repeats [2] must hold one integer >= 0 per axis of the input [3,3]");
  });
});

describe('gather', () => {
  const rng = new Rng(43);
  const CASES: [Shape, number, number[], number[]][] = [
    [[7], 0, [3, -1, 0, 3], [4]],
    [[3, 5], 1, [4], []], // a scalar index drops the axis
    [[2, 5, 3], -2, [0, -5, 2, 4, 1, 1], [2, 3]],
    [[2, 3, 4, 5], 3, [-1, 0], [2]],
    [[3, 2, 2, 3, 2], 0, [2, 0, 1, 2], [2, 1, 2]],
  ];
  for (const [shape, axis, indices, indicesShape] of CASES) {
    const a = axis < 0 ? axis + shape.length : axis;
    const outShape = [...shape.slice(0, a), ...indicesShape, ...shape.slice(a + 1)];
    const norm = indices.map((i) => (i < 0 ? i + shape[a] : i));
    /** Output coordinate → input coordinate: the index axes collapse to one entry of `norm`. */
    const want = (x: Float32Array) => {
      const xs = stridesOf(shape);
      const os = stridesOf(outShape);
      const q = indicesShape.length;
      return Float32Array.from({ length: numel(outShape) }, (_, i) => {
        const c = outShape.map((n, d) => Math.floor(i / os[d]) % n);
        const j = c.slice(a, a + q).reduce((s, v, k) => s * indicesShape[k] + v, 0);
        const inCoord = [...c.slice(0, a), norm[j], ...c.slice(a + q)];
        return x[inCoord.reduce((s, v, d) => s + v * xs[d], 0)];
      });
    };
    gpuIt(`${JSON.stringify(shape)} axis ${axis} at ${JSON.stringify(indices)} ${JSON.stringify(indicesShape)}: constant and computed indices, GPU equals CPU`, async (gpu) => {
      const x = rng.uniform(numel(shape));
      const constant = layers.gather({ axis, indices, indicesShape });
      const onCpu = oneLayer(new CpuBackend(), constant, [shape]);
      expect(onCpu.outputShapes()[0]).toEqual(outShape);
      const ref = await onCpu.predict(x);
      expectClose(ref, want(x), EXACT, 'CPU');
      const onGpu = oneLayer(gpu, constant, [shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'GPU');
      onGpu.dispose();
      // The same indices as a computed input (float-coded).
      const computed = layers.gather({ axis });
      const idx = Float32Array.from(indices);
      const byInput = oneLayer(gpu, computed, [shape, indicesShape]);
      expectClose((await byInput.predictAll([x, idx]))[0], ref, EXACT, 'GPU, computed indices');
      byInput.dispose();
      expectClose((await oneLayer(new CpuBackend(), computed, [shape, indicesShape]).predictAll([x, idx]))[0], ref, EXACT, 'CPU, computed indices');
    });
  }

  it('refuses a constant index outside the axis, naming the layer', () => {
    expect(() => oneLayer(new CpuBackend(), layers.gather({ axis: 1, indices: [5] }), [[2, 5]]).info()).toThrow("gather 'op': index 5 is out of range for axis 1 of size 5");
  });
});

describe('gatherElements', () => {
  const rng = new Rng(46);
  const CASES: [Shape, number, Shape][] = [
    [[6], 0, [4]],
    [[3, 4], 1, [3, 6]],
    [[4, 3, 5], 0, [2, 3, 4]],
    [[2, 5, 3, 2], -2, [2, 4, 7, 1]],
    [[2, 3, 2, 3, 2], 4, [1, 3, 2, 2, 5]],
  ];
  for (const [shape, axis, idxShape] of CASES) {
    gpuIt(`${JSON.stringify(shape)} axis ${axis}, indices ${JSON.stringify(idxShape)}: GPU equals CPU equals index arithmetic`, async (gpu) => {
      const a = axis < 0 ? axis + shape.length : axis;
      const x = rng.uniform(numel(shape));
      const indices = Array.from({ length: numel(idxShape) }, () => rng.int(-shape[a], shape[a] - 1));
      const layer = layers.gatherElements({ axis, indices, indicesShape: idxShape });
      const xs = stridesOf(shape);
      const is = stridesOf(idxShape);
      const want = Float32Array.from(indices, (v, i) => x[idxShape.reduce((s, n, d) => s + (d === a ? (v < 0 ? v + shape[a] : v) : Math.floor(i / is[d]) % n) * xs[d], 0)]);
      const ref = await oneLayer(new CpuBackend(), layer, [shape]).predict(x);
      expectClose(ref, want, EXACT, 'CPU');
      const onGpu = oneLayer(gpu, layer, [shape]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'GPU');
      onGpu.dispose();
      const byInput = oneLayer(gpu, layers.gatherElements({ axis }), [shape, idxShape]);
      expectClose((await byInput.predictAll([x, Float32Array.from(indices)]))[0], ref, EXACT, 'GPU, computed indices');
      byInput.dispose();
    });
  }
});

describe('matmul with NumPy broadcasting', () => {
  const rng = new Rng(45);
  const CASES: [Shape, Shape, Shape][] = [
    [[5], [5], []],
    [[5], [5, 3], [3]],
    [[2, 3, 5], [5], [2, 3]],
    [[4], [2, 3, 4, 2], [2, 3, 2]],
    [[3, 1, 2, 5], [4, 5, 3], [3, 4, 2, 3]],
    [[2, 1, 3, 3, 4], [1, 3, 1, 4, 2], [2, 3, 3, 3, 2]],
    [[1, 7, 5], [3, 5, 9], [3, 7, 9]],
  ];
  /** Plain loops over the broadcast batch. */
  function want(a: Float32Array, as: Shape, b: Float32Array, bs: Shape, out: Shape): Float32Array {
    const am = as.length === 1 ? [1, as[0]] : as;
    const bm = bs.length === 1 ? [bs[0], 1] : bs;
    const [M, K] = am.slice(-2);
    const N = bm[bm.length - 1];
    const batch = out.slice(0, out.length - (as.length === 1 ? 0 : 1) - (bs.length === 1 ? 0 : 1));
    const offset = (m: Shape, c: number[]) => {
      const own = m.slice(0, -2);
      const pad = batch.length - own.length;
      return own.reduce((s, d, i) => s * d + (d === 1 ? 0 : c[pad + i]), 0);
    };
    const y = new Float32Array(numel(batch) * M * N);
    for (let t = 0; t < numel(batch); t++) {
      const c = batch.map((_, i) => Math.floor(t / numel(batch.slice(i + 1))) % batch[i]);
      const ao = offset(am, c) * M * K;
      const bo = offset(bm, c) * K * N;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
        y[(t * M + i) * N + j] = s;
      }
    }
    return y;
  }
  for (const [as, bs, out] of CASES) {
    gpuIt(`${JSON.stringify(as)} × ${JSON.stringify(bs)} → ${JSON.stringify(out)}: GPU equals CPU equals loops`, async (gpu) => {
      const a = rng.uniform(numel(as));
      const b = rng.uniform(numel(bs));
      const onCpu = oneLayer(new CpuBackend(), { type: 'matmul' }, [as, bs]);
      expect(onCpu.outputShapes()[0]).toEqual(out);
      const [ref] = await onCpu.predictAll([a, b]);
      expectClose(ref, want(a, as, b, bs, out), { atol: 1e-5, rtol: 1e-5 }, 'CPU');
      const onGpu = oneLayer(gpu, { type: 'matmul' }, [as, bs]);
      expectClose((await onGpu.predictAll([a, b]))[0], ref, { atol: 1e-5, rtol: 1e-4 }, 'GPU');
      onGpu.dispose();
    });
  }

  gpuIt('16 random products of ranks 1 to 5 with random broadcast batch dimensions: GPU equals CPU equals loops', async (gpu) => {
    for (let t = 0; t < 16; t++) {
      const [M, K, N] = [rng.int(1, 5), rng.int(1, 6), rng.int(1, 5)];
      const batch = Array.from({ length: rng.int(0, 3) }, () => rng.int(2, 3));
      const side = () => batch.slice(rng.int(0, batch.length)).map((d) => (rng.next() < 0.4 ? 1 : d));
      const as = rng.next() < 0.15 ? [K] : [...side(), M, K];
      const bs = rng.next() < 0.15 ? [K] : [...side(), K, N];
      const ab = as.slice(0, -2);
      const bb = bs.slice(0, -2);
      const rank = Math.max(ab.length, bb.length);
      const outBatch = Array.from({ length: rank }, (_, i) => Math.max(ab[ab.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
      const out = [...outBatch, ...(as.length === 1 ? [] : [M]), ...(bs.length === 1 ? [] : [N])];
      const a = rng.uniform(numel(as));
      const b = rng.uniform(numel(bs));
      const label = `${JSON.stringify(as)} × ${JSON.stringify(bs)}`;
      const onCpu = oneLayer(new CpuBackend(), { type: 'matmul' }, [as, bs]);
      expect(onCpu.outputShapes()[0], label).toEqual(out);
      const [ref] = await onCpu.predictAll([a, b]);
      expectClose(ref, want(a, as, b, bs, out), { atol: 1e-5, rtol: 1e-5 }, `CPU ${label}`);
      const onGpu = oneLayer(gpu, { type: 'matmul' }, [as, bs]);
      expectClose((await onGpu.predictAll([a, b]))[0], ref, { atol: 1e-5, rtol: 1e-4 }, `GPU ${label}`);
      onGpu.dispose();
    }
  });

  it('refuses batch dimensions that do not broadcast, naming the layer and the shapes', () => {
    expect(() => oneLayer(new CpuBackend(), { type: 'matmul' }, [[2, 3, 4], [3, 4, 5]]).info()).toThrow("matmul 'op': batch dimensions of a [2,3,4] and b [3,4,5] do not broadcast");
  });
});

// ---- ONNX's node tests (Debian libonnx-testdata) through the importer ----------------------

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
const readTensor = (path: string): { name: string; t: ConstTensor } => {
  const proto = decodeTensor(new Uint8Array(readFileSync(path)), path);
  return { name: proto.name, t: tensorFromProto(proto, path) };
};
const pbFiles = (dir: string, kind: 'input' | 'output'): string[] =>
  readdirSync(dir)
    .filter((f) => new RegExp(`^${kind}_\\d+\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => join(dir, f));

/**
 * Runs one node test on `backend`: float inputs are computed (all of them, or only the first
 * with `firstOnly`, the others then constants as a PyTorch export's initializers); integer
 * inputs (starts, indices, shapes) are load-time constants.
 */
async function runNodeTest(name: string, backend: Backend, firstOnly: boolean): Promise<void> {
  const dir = join(NODE_TESTS, name);
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const graphInputs = inspectOnnx(bytes, name).inputs.filter((i) => !i.initializer).map((i) => i.name);
  const given = pbFiles(join(dir, 'test_data_set_0'), 'input').map(readTensor);
  const expected = pbFiles(join(dir, 'test_data_set_0'), 'output').map(readTensor);
  const constants: Record<string, OnnxConstant> = {};
  const computed: { name: string; t: ConstTensor }[] = [];
  graphInputs.forEach((n, i) => {
    const t = given.find((g) => g.name === n)?.t ?? given[i].t;
    if (t.kind === 'float' && (computed.length === 0 || !firstOnly)) computed.push({ name: n, t });
    else constants[n] = { dims: t.dims, data: t.data };
  });
  const model = importOnnx(bytes, { backend, label: name, constants, inputShapes: Object.fromEntries(computed.map((c) => [c.name, c.t.dims])) });
  try {
    const outs = await model.predictAll(computed.map((c) => c.t.data as Float32Array));
    const shapes = model.outputShapes();
    expect(outs.length, `${name}: outputs`).toBe(expected.length);
    expected.forEach((want, i) => {
      expect(shapes[i], `${name}: output ${i} shape`).toEqual(want.t.dims);
      expectClose(outs[i], want.t.data, { atol: 1e-5, rtol: 1e-3 }, `${name} output ${i} (${backend.name})`, want.t.dims);
    });
  } finally {
    model.dispose();
  }
}

/** Their graph inputs have no elements, which the importer refuses. */
const EMPTY_INPUTS = new Set(['test_reshape_allowzero_reordered', 'test_split_zero_size_splits']);
const NODE_CASES = readdirSync(NODE_TESTS)
  .filter((n) => /^test_(slice|split|gather(_elements)?_|tile|expand|matmul_|gemm|squeeze|unsqueeze|reshape|flatten)/.test(n) && !EMPTY_INPUTS.has(n))
  .sort();

describe('ONNX node tests of the data-movement ops and matrix products', () => {
  it('finds the node tests', () => expect(NODE_CASES.length).toBeGreaterThan(60));
  for (const name of NODE_CASES) {
    gpuIt(`${name}: GPU and CPU equal ONNX's outputs, with float inputs computed or constant`, async (gpu) => {
      for (const backend of [gpu, new CpuBackend()]) {
        await runNodeTest(name, backend, false);
        await runNodeTest(name, backend, true);
      }
    });
  }
});

// ---- Training through the data-movement layers and broadcast matmul -------------------------

type Middle = (x: SymbolicTensor) => SymbolicTensor;

/**
 * x (N, …sample) → an elementwise scale parameter (so its gradient is x times the gradient at
 * the middle's input, element by element) → the middle → flatten → dense(3).
 */
function trainNet(backend: Backend, sample: Shape, middle: Middle): Model {
  const x = input(sample, 'x');
  const s = apply({ type: 'binaryConst', op: 'mul', shape: [...sample] }, x, 'scale');
  const y = apply(layers.dense({ units: 3 }), apply(layers.flatten(), middle(s), 'flat'), 'fc');
  const model = new Model({ inputs: x, outputs: y, name: 'net', backend, seed: 5 });
  const w = model.getWeights();
  w.set('scale.value', new Rng(6).uniform(numel(sample), 0.5, 1.5));
  model.setWeights(w);
  return model;
}

const TRAIN_CASES: [string, Shape, Middle][] = [
  ['slice (stepped backwards, two axes)', [3, 4, 5], (s) => apply(layers.slice({ starts: [1, -1], ends: [3, -6], axes: [1, 3], steps: [1, -2] }), s, 'slice')],
  ['channel split + shuffle (two slices of one value, concatenated swapped)', [4, 3, 2], (s) => {
    const lo = apply(layers.slice({ starts: [0], ends: [2], axes: [1] }), s, 'lo');
    const hi = apply(layers.slice({ starts: [2], ends: [4], axes: [1] }), s, 'hi');
    return apply(layers.concat({ axis: 1 }), [hi, lo], 'shuffle');
  }],
  ['gather with a repeated index (scatter-add)', [3, 5, 2], (s) => apply(layers.gather({ axis: 2, indices: [3, 0, -2, 1], indicesShape: [2, 2] }), s, 'gather')],
  // The indices cover the first sample (indices may be shorter than the data off the axis); the add keeps the batch.
  ['gatherElements with repeated indices (scatter-add)', [3, 2, 2], (s) => {
    const g = apply(layers.gatherElements({ axis: 3, indices: [1, 0, 1, 1, -1, 0, 0, 1, 1, 1, -2, 0], indicesShape: [1, 3, 2, 2] }), s, 'gatherElements');
    return apply(layers.add(), [s, g], 'plus');
  }],
  ['tile', [2, 3, 2], (s) => apply(layers.tile([1, 2, 1, 3]), s, 'tile')],
  ['expand (bidirectional)', [3, 1, 4], (s) => apply(layers.expand([1, 3, 2, 1]), s, 'expand')],
  ['broadcast matmul: computed × computed, constant first, rank-3 and rank-1 weights', [2, 3, 4], (s) => {
    const b = apply(layers.transpose([0, 1, 3, 2]), apply(layers.slice({ starts: [0], ends: [1], axes: [1] }), s, 'first'), 'bT'); // (N, 1, 4, 3)
    const m1 = apply({ type: 'matmul' }, [s, b], 'mm'); // (N, 2, 3, 3), b broadcast over axis 1
    const m2 = apply({ type: 'matmul', weightShape: [3, 3], weightFirst: true }, m1, 'left'); // (N, 2, 3, 3)
    const m3 = apply({ type: 'matmul', weightShape: [1, 3, 2] }, m2, 'w3'); // (N, 2, 3, 2)
    return apply({ type: 'matmul', weightShape: [2] }, m3, 'vec'); // (N, 2, 3)
  }],
];

describe('training through the layers', () => {
  const rng = new Rng(44);
  for (const [label, sample, middle] of TRAIN_CASES) {
    const data = { images: rng.uniform(4 * numel(sample)), labels: new Float32Array([0, 1, 2, 1]) };
    gpuIt(`${label}: two SGD steps on the GPU give the CPU weights`, async (gpu) => {
      const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
      const onGpu = trainNet(gpu, sample, middle);
      const onCpu = trainNet(new CpuBackend(), sample, middle);
      await fit(onGpu, data, opts);
      await fit(onCpu, data, opts);
      const want = onCpu.getWeights();
      for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, k);
      onGpu.dispose();
    });

    it(`${label}: the gradient equals finite differences (CPU)`, async () => {
      const backend = new CpuBackend();
      const model = trainNet(backend, sample, middle);
      const before = model.getWeights();
      await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      const keys = [...before.keys()].filter((k) => k !== 'fc.weight' && k !== 'fc.bias' && !k.endsWith('.indices'));
      for (const key of keys) {
        const w0 = before.get(key)!;
        for (let i = 0; i < w0.length; i += Math.max(1, Math.floor(w0.length / 12))) {
          const at = async (d: number) => {
            const m = trainNet(backend, sample, middle);
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
  }
});

describe('PyTorch exports (scripts/onnx_fixtures.py)', () => {
  const dir = new URL('./fixtures/onnx/', import.meta.url);
  const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
  it('Split at opset 18 with num_outputs: parts of ⌈7/3⌉ = 3, 3 and the remaining 1, any batch', async () => {
    const model = await loadOnnx(read('split18.onnx'), { backend: new CpuBackend(), label: 'split18.onnx' });
    const x = Float32Array.from({ length: 3 * 2 * 7 }, (_, i) => i);
    const outs = await model.predictAll([x], 3);
    expect(model.outputShapes(3)).toEqual([[3, 2, 3], [3, 2, 3], [3, 2, 1]]);
    const part = (from: number, to: number) => Float32Array.from({ length: 6 * (to - from) }, (_, i) => x[Math.floor(i / (to - from)) * 7 + from + (i % (to - from))]);
    expect(outs).toEqual([part(0, 3), part(3, 6), part(6, 7)]);
  });

  it('Split and Slice at opset 9, their sizes, starts and ends as attributes', async () => {
    const model = await loadOnnx(read('split_slice9.onnx'), { backend: new CpuBackend(), label: 'split_slice9.onnx' });
    const x = Float32Array.from({ length: 2 * 2 * 7 }, (_, i) => i);
    expect(model.outputShapes(2)).toEqual([[2, 2, 2], [2, 2, 3]]);
    const part = (from: number, to: number) => Float32Array.from({ length: 4 * (to - from) }, (_, i) => x[Math.floor(i / (to - from)) * 7 + from + (i % (to - from))]);
    expect(await model.predictAll([x], 2)).toEqual([part(0, 2), part(3, 6)]);
  });

  const CASES: [string, string][] = [
    ['slices', "x[:, 1::2, :-1], split, chunk, repeat, expand_as, flip, index_select, x[:, 2] and broadcast matmuls"],
    ['yolo_head', 'a YOLO-style head: conv → view(N, 3, 7, H, W) → permute(0, 1, 3, 4, 2) → slices of the last axis → sigmoid'],
  ];
  for (const [name, what] of CASES) {
    gpuIt(`${name} (${what}) equals PyTorch on the GPU and the CPU, batch 2 through a symbolic batch`, async (gpu) => {
      const x = readNpy(read(`${name}.input.npy`), `${name}.input.npy`);
      const y = readNpy(read(`${name}.output.npy`), `${name}.output.npy`);
      for (const backend of [gpu, new CpuBackend()]) {
        const model = await loadOnnx(read(`${name}.onnx`), { backend, label: `${name}.onnx` });
        expectClose(await model.predict(x.data as Float32Array), y.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `${name} (${backend.name})`);
        model.dispose();
      }
    });
  }
});
