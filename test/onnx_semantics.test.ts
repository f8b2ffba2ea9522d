// General ONNX semantics of the importer, on handmade models (test/helpers/onnx_encoder.ts):
// operands given as graph inputs (weights become layer inputs), value inputs that specialise the
// import (int64 shapes, scalar bounds), several outputs and constant outputs, pooling windows as
// ONNX allows them, old opsets, and one error naming every unsupported node.
import { describe, expect, it } from 'vitest';
import { CpuBackend, Model, apply, input, type Backend } from 'webcnn';
import { OnnxError, importOnnx, type OnnxModel, type OnnxRunInput } from 'webcnn/onnx';
import { BOOL, INT64, encodeModel, type ModelSpec } from './helpers/onnx_encoder.js';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };

async function run(spec: ModelSpec, inputs: readonly OnnxRunInput[], backend: Backend = new CpuBackend()): Promise<{ model: OnnxModel; outs: Float32Array[] }> {
  const model = importOnnx(encodeModel(spec), { backend, label: 'handmade.onnx' });
  return { model, outs: await model.predictAll(inputs) };
}

const randomArray = (n: number, seed: number): Float32Array => new Rng(seed).uniform(n);
const seq = (n: number, scale = 0.1, offset = 0) => Float32Array.from({ length: n }, (_, i) => offset + scale * (((i * 7919) % 23) - 11));

describe('operands given as graph inputs', () => {
  const convSpec = (asInputs: boolean, w: Float32Array, b: Float32Array): ModelSpec => ({
    nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { pads: [1, 0, 1, 2], strides: [2, 1] } }],
    inputs: [{ name: 'x', dims: [2, 3, 7, 6] }, ...(asInputs ? [{ name: 'W', dims: [4, 3, 3, 2] }, { name: 'B', dims: [4] }] : [])],
    outputs: [{ name: 'y', dims: [] }],
    initializers: asInputs ? [] : [{ name: 'W', dims: [4, 3, 3, 2], values: [...w] }, { name: 'B', dims: [4], values: [...b] }],
  });

  gpuIt('Conv weights and bias given as inputs run as inputs of the conv2d layer, on the GPU as on the CPU, equal to them as initializers', async (gpu) => {
    const x = randomArray(2 * 3 * 7 * 6, 1);
    const w = randomArray(4 * 3 * 3 * 2, 2);
    const b = randomArray(4, 3);
    const ref = await run(convSpec(false, w, b), [x]);
    for (const backend of [new CpuBackend(), gpu] as Backend[]) {
      const got = await run(convSpec(true, w, b), [x, w, b], backend);
      const conv = got.model.graph.nodes.find((n) => n.layer.type === 'conv2d')!;
      expect(conv.layer).toMatchObject({ paramInputs: ['weight', 'bias'] });
      expect(got.model.parameterShapes().size).toBe(0);
      expectClose(got.outs[0], ref.outs[0], TOL);
      got.model.dispose();
    }
    ref.model.dispose();
  });

  it('BatchNormalization statistics as inputs, and a constant weight after a conv still folds', async () => {
    const x = randomArray(2 * 3 * 4 * 4, 4);
    const stats = [randomArray(3, 5), randomArray(3, 6), randomArray(3, 7), Float32Array.from(randomArray(3, 8), (v) => Math.abs(v) + 0.5)];
    const spec: ModelSpec = {
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'], attrs: { epsilon: { float: 1e-3 } } }],
      inputs: [{ name: 'x', dims: [2, 3, 4, 4] }, ...['s', 'b', 'm', 'v'].map((name) => ({ name, dims: [3] }))],
      outputs: [{ name: 'y', dims: [] }],
    };
    const { model, outs } = await run(spec, [x, ...stats]);
    const [s, b, m, v] = stats;
    const want = x.map((xi, i) => {
      const c = Math.floor(i / 16) % 3;
      return ((xi - m[c]) / Math.sqrt(v[c] + 1e-3)) * s[c] + b[c];
    });
    expectClose(outs[0], want, TOL);
    expect(model.onnx.valueInputs).toEqual([]);
  });

  gpuIt('ConvTranspose (2-D and 1-D) and LayerNormalization with weights, scale and bias as inputs equal them as initializers, on the GPU as on the CPU', async (gpu) => {
    // [op, attrs, x dims, operand dims, layer type]
    const cases: [string, ModelSpec['nodes'][number]['attrs'], number[], number[][], string][] = [
      ['ConvTranspose', { strides: [2, 1], pads: [1, 0, 0, 1] }, [2, 3, 4, 5], [[3, 2, 3, 2], [2]], 'conv2dTranspose'],
      ['ConvTranspose', { strides: [2], output_padding: [1] }, [2, 3, 5], [[3, 4, 3], [4]], 'conv2dTranspose'],
      ['LayerNormalization', { axis: 1 }, [2, 3, 4], [[3, 4], [3, 4]], 'layerNorm'],
      ['LayerNormalization', { axis: -2 }, [2, 3, 4], [[1, 4], [4]], 'layerNorm'], // broadcast to (3, 4)
    ];
    let seed = 20;
    for (const [op, attrs, xDims, dims, type] of cases) {
      const values = [xDims, ...dims].map((d) => randomArray(d.reduce((a, b) => a * b, 1), seed++));
      const spec = (asInputs: boolean): ModelSpec => ({
        nodes: [{ op, inputs: ['x', 'W', 'B'], outputs: ['y'], attrs }],
        inputs: [{ name: 'x', dims: xDims }, ...(asInputs ? dims.map((d, i) => ({ name: ['W', 'B'][i], dims: d })) : [])],
        outputs: [{ name: 'y', dims: [] }],
        initializers: asInputs ? [] : dims.map((d, i) => ({ name: ['W', 'B'][i], dims: d, values: [...values[i + 1]] })),
      });
      const ref = await run(spec(false), [values[0]]);
      for (const backend of [new CpuBackend(), gpu] as Backend[]) {
        const got = await run(spec(true), values, backend);
        expect(got.model.graph.nodes.find((n) => n.layer.type === type)!.layer, `${op} ${JSON.stringify(attrs)}`).toMatchObject({ paramInputs: ['weight', 'bias'] });
        expect(got.model.parameterShapes().size).toBe(0);
        expectClose(got.outs[0], ref.outs[0], TOL, `${op} ${JSON.stringify(attrs)} on ${backend.name}`);
        got.model.dispose();
      }
      ref.model.dispose();
    }
  });

  it('Gemm with A transposed, B and C computed, alpha and beta', async () => {
    const a = seq(3 * 2); // A is (K=3, M=2), transposed
    const bT = seq(4 * 3, 0.2, 0.1); // B given as (N=4, K=3), transB
    const cRow = seq(4, 0.3);
    const spec: ModelSpec = {
      nodes: [{ op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { transA: 1, transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } } }],
      inputs: [{ name: 'a', dims: [3, 2] }, { name: 'b', dims: [4, 3] }, { name: 'c', dims: [4] }],
      outputs: [{ name: 'y', dims: [] }],
    };
    const { outs } = await run(spec, [a, bT, cRow]);
    const want = new Float32Array(2 * 4);
    for (let m = 0; m < 2; m++) {
      for (let n = 0; n < 4; n++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[k * 2 + m] * bT[n * 3 + k];
        want[m * 4 + n] = 0.5 * s + 2 * cRow[n];
      }
    }
    expectClose(outs[0], want, TOL);
  });
});

describe('layers that take parameters as inputs (paramInputs)', () => {
  gpuIt('a dense layer whose weight is a graph input, built with the functional API, on the CPU and the GPU; a wrong shape or name is refused', async (gpu) => {
    const x = input({ shape: ['N', 3], name: 'x' });
    const w = input({ shape: [2, 3], name: 'w' });
    const y = apply({ type: 'dense', units: 2, paramInputs: ['weight'] }, [x, w], 'fc');
    const xs = Float32Array.of(1, 2, 3, -1, 0, 1);
    const ws = Float32Array.of(1, 0, 0, 0.5, 0.5, 0.5);
    for (const backend of [new CpuBackend(), gpu] as Backend[]) {
      const model = new Model({ inputs: [x, w], outputs: y, backend });
      model.setWeights({ 'fc.bias': Float32Array.of(10, 20) });
      expect([...model.parameterShapes().keys()]).toEqual(['fc.bias']);
      expect((await model.predictAll([xs, ws], { batch: 2 }))[0]).toEqual(Float32Array.of(11, 23, 9, 20));
      model.dispose();
    }
    const wt = input({ shape: [3, 2], name: 'wt' });
    const bad = new Model({ inputs: [x, wt], outputs: apply({ type: 'dense', units: 2, paramInputs: ['weight'] }, [x, wt]) });
    expect(() => bad.info()).toThrow(/parameter 'weight' given as input 1 has shape \[3,2\], expected \[2,3\]/);
    const wrong = new Model({ inputs: [x, w], outputs: apply({ type: 'softmax', paramInputs: ['weight'] }, [x, w]) });
    expect(() => wrong.info()).toThrow(/parameter 'weight' cannot be given as an input/);
  });
});

describe('value inputs specialise the import', () => {
  const reshape: ModelSpec = {
    nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
    inputs: [{ name: 'x', dims: [2, 3, 4] }, { name: 'shape', type: INT64, dims: [2] }],
    outputs: [{ name: 'y', dims: [] }],
  };

  it('a Reshape whose shape is an int64 input: one import per distinct shape, cached', async () => {
    const x = seq(24);
    const model = importOnnx(encodeModel(reshape), { backend: new CpuBackend() });
    expect(model.onnx.valueInputs).toEqual(['shape']);
    expect(model.onnx.runInputs).toEqual(['x', 'shape']);
    expect(() => model.info()).toThrow(/needs the values of its input 'shape'/);
    expect((await model.predictAll([x, BigInt64Array.of(4n, -1n)]))[0]).toEqual(x);
    expect((await model.predictAll([x, Int32Array.of(0, 12)]))[0]).toEqual(x);
    const a = model.specialise({ shape: { dims: [2], data: BigInt64Array.of(4n, -1n) } });
    expect(a.outputShapes()).toEqual([[4, 6]]);
    expect(model.specialise({ shape: { dims: [2], data: Float64Array.of(4, -1) } })).toBe(a);
    expect(model.specialise({ shape: { dims: [2], data: Int32Array.of(0, 12) } }).outputShapes()).toEqual([[2, 12]]);
    model.dispose();
  });

  it('an empty int64 axes input is a value input: ReduceSum over every axis, or nothing with noop_with_empty_axes; empty float data is refused', async () => {
    const x = seq(6);
    for (const noop of [0, 1]) {
      const spec: ModelSpec = {
        nodes: [{ op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: 1, noop_with_empty_axes: noop } }],
        inputs: [{ name: 'x', dims: [2, 3] }, { name: 'axes', type: INT64, dims: [0] }],
        outputs: [{ name: 'y', dims: [] }],
      };
      const model = importOnnx(encodeModel(spec), { backend: new CpuBackend() });
      expect(model.onnx.valueInputs).toEqual(['axes']);
      const [y] = await model.predictAll([x, new BigInt64Array(0)]);
      expectClose(y, noop ? x : [x.reduce((a, b) => a + b, 0)], TOL, `noop_with_empty_axes ${noop}`);
      model.dispose();
    }
    const empty: ModelSpec = {
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [3, 2] }],
      outputs: [{ name: 'y', dims: [] }],
    };
    expect(() => importOnnx(encodeModel(empty), { label: 'empty.onnx', inputShapes: { x: [3, 0] } })).toThrow("empty.onnx: graph input 'x' has shape [3,0] with no elements");
    const emptyInts: ModelSpec = { ...empty, nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 1 } }], inputs: [{ name: 'x', type: INT64, dims: [3, 2] }] };
    expect(() => importOnnx(encodeModel(emptyInts), { label: 'empty.onnx', inputShapes: { x: [3, 0] } })).toThrow(/graph input 'x' has shape \[3,0\] with no elements, and is not a value/);
  });

  it('Clip bounds given as scalar inputs, and Unsqueeze axes', async () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['c'] },
        { op: 'Unsqueeze', inputs: ['c', 'axes'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [3, 4] }, { name: 'lo', dims: [] }, { name: 'hi', dims: [] }, { name: 'axes', type: INT64, dims: [1] }],
      outputs: [{ name: 'y', dims: [] }],
    };
    const x = seq(12, 0.5);
    const model = importOnnx(encodeModel(spec), { backend: new CpuBackend() });
    const out = await model.predictAll([x, Float32Array.of(-1), Float32Array.of(2), BigInt64Array.of(1n)]);
    expect(out[0]).toEqual(x.map((v) => Math.min(2, Math.max(-1, v))));
    // Found one at a time: each specialisation may need the values of more inputs.
    const values = { lo: { dims: [], data: Float32Array.of(-1) }, hi: { dims: [], data: Float32Array.of(2) }, axes: { dims: [1], data: BigInt64Array.of(1n) } };
    const found: string[][] = [];
    let ran = model;
    while (ran.onnx.valueInputs.length > 0) {
      found.push([...ran.onnx.valueInputs]);
      ran = ran.specialise(values);
    }
    expect(found).toEqual([['lo'], ['hi'], ['axes']]);
    expect(ran.outputShapes()).toEqual([[3, 1, 4]]);
    expect(ran.onnx.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('integer data that is not a shape is a computed input of exact float values', async () => {
    const spec: ModelSpec = {
      nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['z'] }],
      inputs: [{ name: 'x', type: INT64, dims: [4] }, { name: 'y', type: INT64, dims: [2, 4] }],
      outputs: [{ name: 'z', dims: [] }],
    };
    const { model, outs } = await run(spec, [Float32Array.of(1, 2, 3, 4), Float32Array.of(10, 20, 30, 40, 50, 60, 70, 80)]);
    expect(model.onnx.valueInputs).toEqual([]);
    expect(outs[0]).toEqual(Float32Array.of(11, 22, 33, 44, 51, 62, 73, 84));
  });

  it('Cast of computed values: to FLOAT or DOUBLE, and an integer input to INT64, are aliases; to FLOAT16 is refused', async () => {
    const spec = (to: number, type = INT64): ModelSpec => ({
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to } }],
      inputs: [{ name: 'x', type, dims: [3] }],
      outputs: [{ name: 'y', dims: [] }],
    });
    for (const to of [1, 11, 7]) expect((await run(spec(to), [Float32Array.of(-3, 0, 7)])).outs[0]).toEqual(Float32Array.of(-3, 0, 7));
    expect(() => importOnnx(encodeModel(spec(7, 1)))).toThrow(/casting them to INT64 is not supported \(it would round\)/);
    expect(() => importOnnx(encodeModel(spec(10, 1)))).toThrow(/casting them to FLOAT16 is not supported/);
  });
});

describe('several outputs, and outputs known at import', () => {
  gpuIt('Dropout mask, Shape of an input, a Constant and an input passed through are all returned', async (gpu) => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Dropout', inputs: ['x', 'ratio', 'training'], outputs: ['d', 'mask'] },
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { tensor: { dims: [2], values: [1.5, -2] } } } },
        { op: 'Identity', inputs: ['x'], outputs: ['same'] },
      ],
      inputs: [{ name: 'x', dims: [2, 3] }, { name: 'ratio', dims: [] }, { name: 'training', type: BOOL, dims: [] }],
      outputs: ['d', 'mask', 's', 'k', 'same'].map((name) => ({ name, dims: [] })),
    };
    const x = seq(6);
    for (const backend of [new CpuBackend(), gpu] as Backend[]) {
      const model = importOnnx(encodeModel(spec), { backend });
      const outs = await model.predictAll([x, Float32Array.of(0.3), Float32Array.of(0)]);
      expect(outs.map((o) => [...o])).toEqual([[...x], [1, 1, 1, 1, 1, 1], [2, 3], [1.5, -2], [...x]]);
      // Training mode with ratio 0 is the identity too; with another ratio it is refused.
      expect((await model.predictAll([x, Float32Array.of(0), Float32Array.of(1)]))[0]).toEqual(x);
      await expect(model.predictAll([x, Float32Array.of(0.5), Float32Array.of(1)])).rejects.toThrow(/training_mode = true with ratio 0.5 is not supported/);
      model.dispose();
    }
  });

  it('a constant output is refused when the input has a symbolic batch it may depend on', () => {
    const spec: ModelSpec = {
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: ['N', 3] }],
      outputs: [{ name: 'y', dims: [] }, { name: 's', dims: [] }],
    };
    expect(() => importOnnx(encodeModel(spec))).toThrow(/graph output 's' is known at import, but input 'x' has a symbolic dimension/);
  });
});

describe('pooling as ONNX allows it', () => {
  gpuIt('padding up to kernel - 1, and 1-D pooling, on the GPU as on the CPU', async (gpu) => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2] } },
        { op: 'AveragePool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [2, 1, 2, 2], count_include_pad: 1 } },
        { op: 'AveragePool', inputs: ['x1'], outputs: ['a1'], attrs: { kernel_shape: [3], strides: [2], pads: [2, 1] } },
      ],
      inputs: [{ name: 'x', dims: [1, 2, 4, 5] }, { name: 'x1', dims: [1, 2, 7] }],
      outputs: ['m', 'a', 'a1'].map((name) => ({ name, dims: [] })),
    };
    const x = randomArray(40, 9);
    const x1 = seq(14);
    const cpuRun = await run(spec, [x, x1]);
    const [m, a, a1] = cpuRun.outs;
    expect(cpuRun.model.outputShapes()).toEqual([[1, 2, 6, 7], [1, 2, 6, 6], [1, 2, 4]]);
    // Corner windows of the max pool hold one real cell.
    expect(m[0]).toBe(x[0]);
    // count_include_pad: the corner window (rows -2..0, columns -1..1) holds two real cells, divided by 9.
    expectClose([a[0]], [(x[0] + x[1]) / 9], TOL);
    // 1-D: windows [-2, 1), [0, 3), [2, 5), [4, 7) of a row, counting real cells only.
    const row = Array.from(x1.slice(0, 7));
    const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
    expectClose(a1.slice(0, 4), [mean(row.slice(0, 1)), mean(row.slice(0, 3)), mean(row.slice(2, 5)), mean(row.slice(4, 7))], TOL);
    const gpuRun = await run(spec, [x, x1], gpu);
    gpuRun.outs.forEach((o, i) => expectClose(o, cpuRun.outs[i], TOL));
    gpuRun.model.dispose();
  });
});

describe('symbolic dimensions through reshapes', () => {
  // Each graph reads x with a symbolic leading dimension N (imported at size 1); it must equal
  // the same graph with N fixed, run at N = 3. ReduceSum and Softmax after the reshape make
  // the result depend on where N went, not only the output's shape.
  type Case = [string, number[], ModelSpec['nodes'], number?];
  const cases: Case[] = [
    ['Unsqueeze axes [0], then a sum over N', [3], [
      { op: 'Unsqueeze', inputs: ['x', 'ax0'], outputs: ['u'] },
      { op: 'ReduceSum', inputs: ['u', 'ax1'], outputs: ['y'], attrs: { keepdims: 1 } },
    ]],
    ['Unsqueeze axes [0, 2], then a softmax over N', [3], [
      { op: 'Unsqueeze', inputs: ['x', 'ax02'], outputs: ['u'] },
      { op: 'Softmax', inputs: ['u'], outputs: ['y'], attrs: { axis: 1 } },
    ]],
    ['Unsqueeze axes [-1] and Squeeze axes [0] of a transposed value', [2, 3], [
      { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [1, 0, 2] } },
      { op: 'Unsqueeze', inputs: ['t', 'axm1'], outputs: ['u'] },
      { op: 'Unsqueeze', inputs: ['u', 'ax0'], outputs: ['v'] },
      { op: 'Squeeze', inputs: ['v', 'ax0'], outputs: ['w'] },
      { op: 'Softmax', inputs: ['w'], outputs: ['y'], attrs: { axis: 1 } },
    ]],
    ['Squeeze without axes keeps N, Flatten axis 2 of N in the middle', [1, 2, 3], [
      { op: 'Squeeze', inputs: ['x'], outputs: ['s'] },
      { op: 'Transpose', inputs: ['s'], outputs: ['t'], attrs: { perm: [1, 0, 2] } },
      { op: 'Flatten', inputs: ['t'], outputs: ['f'], attrs: { axis: 2 } },
      { op: 'Softmax', inputs: ['f'], outputs: ['y'], attrs: { axis: 0 } },
    ]],
    ['Flatten axis 0 and Reshape [-1] take N into the rest', [2, 3], [
      { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['f', 'minus1'], outputs: ['r'] },
      { op: 'Softmax', inputs: ['r'], outputs: ['y'], attrs: { axis: 0 } },
    ]],
    ['Reshape [1, -1] reads the leading 1 as x.size(0), as exporters write it', [2, 3], [
      { op: 'Reshape', inputs: ['x', 'oneMinus1'], outputs: ['r'] },
      { op: 'Softmax', inputs: ['r'], outputs: ['y'], attrs: { axis: 0 } },
    ]],
    ['Softmax before opset 13 on rows, and 1-D max pooling', [2, 5], [
      { op: 'Softmax', inputs: ['x'], outputs: ['s'], attrs: { axis: 1 } },
      { op: 'MaxPool', inputs: ['s'], outputs: ['y'], attrs: { kernel_shape: [2] } },
    ], 11],
  ];
  const ints = (name: string, values: number[]) => ({ name, dims: [values.length], type: INT64, values });
  // With N fixed, the exporter's [x.size(0), -1] is [N, -1].
  const spec = (rest: number[], nodes: ModelSpec['nodes'], lead: number | string, opset = 13): ModelSpec => ({
    opset,
    nodes: typeof lead === 'number' ? nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === 'oneMinus1' ? 'nMinus1' : i)) })) : nodes,
    inputs: [{ name: 'x', dims: [lead, ...rest] }],
    outputs: [{ name: 'y', dims: [] }],
    initializers: [
      ints('ax0', [0]), ints('ax1', [1]), ints('ax02', [0, 2]), ints('axm1', [-1]), ints('minus1', [-1]), ints('oneMinus1', [1, -1]),
      ints('nMinus1', [typeof lead === 'number' ? lead : 1, -1]),
    ],
  });

  gpuIt('Unsqueeze, Squeeze, Flatten and Reshape keep N where it goes, on the CPU and the GPU', async (gpu) => {
    const N = 3;
    for (const [what, rest, nodes, opset] of cases) {
      const x = randomArray(N * rest.reduce((a, b) => a * b, 1), 40);
      const fixed = importOnnx(encodeModel(spec(rest, nodes, N, opset)), { backend: new CpuBackend() });
      const want = (await fixed.predictAll([x]))[0];
      for (const backend of [new CpuBackend(), gpu] as Backend[]) {
        const model = importOnnx(encodeModel(spec(rest, nodes, 'N', opset)), { backend, label: what });
        expect(model.outputShapes(N), what).toEqual(fixed.outputShapes());
        expectClose((await model.predictAll([x], N))[0], want, TOL);
        model.dispose();
      }
      fixed.dispose();
    }
  });
});

describe('1-D convolution as 2-D', () => {
  it('Conv on (N, C, L) with pads, strides and dilations, weights constant or given as an input', async () => {
    const [N, C, L, Co, K] = [2, 2, 9, 3, 3];
    const x = randomArray(N * C * L, 11);
    const w = randomArray(Co * C * K, 12);
    const b = randomArray(Co, 13);
    const attrs = { pads: [1, 2], strides: [2], dilations: [2], kernel_shape: [K] };
    const Lo = Math.floor((L + 3 - (K - 1) * 2 - 1) / 2) + 1;
    const want = new Float32Array(N * Co * Lo);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < Co; o++) {
        for (let t = 0; t < Lo; t++) {
          let sum = b[o];
          for (let ci = 0; ci < C; ci++) {
            for (let k = 0; k < K; k++) {
              const i = t * 2 - 1 + k * 2;
              if (i >= 0 && i < L) sum += x[(n * C + ci) * L + i] * w[(o * C + ci) * K + k];
            }
          }
          want[(n * Co + o) * Lo + t] = sum;
        }
      }
    }
    const constant: ModelSpec = {
      nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs }],
      inputs: [{ name: 'x', dims: [N, C, L] }],
      outputs: [{ name: 'y', dims: [] }],
      initializers: [{ name: 'W', dims: [Co, C, K], values: [...w] }, { name: 'B', dims: [Co], values: [...b] }],
    };
    const asInputs: ModelSpec = { ...constant, inputs: [...constant.inputs, { name: 'W', dims: [Co, C, K] }, { name: 'B', dims: [Co] }], initializers: [] };
    const a = await run(constant, [x]);
    expect(a.model.outputShapes()).toEqual([[N, Co, Lo]]);
    expectClose(a.outs[0], want, TOL);
    expectClose((await run(asInputs, [x, w, b])).outs[0], want, TOL);
  });
});

describe('opsets and errors', () => {
  it('opset 1 GlobalAveragePool and opset 6 Relu import; opset 5 broadcasting with an axis is refused', async () => {
    const spec = (opset: number): ModelSpec => ({
      opset,
      nodes: [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] }, { op: 'Relu', inputs: ['g'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
      outputs: [{ name: 'y', dims: [] }],
    });
    const { outs } = await run(spec(1), [Float32Array.of(1, 2, 3, 4, -5, -6, -7, -8)]);
    expect(outs[0]).toEqual(Float32Array.of(2.5, 0));
    const legacy: ModelSpec = {
      opset: 5,
      nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'], attrs: { broadcast: 1, axis: 1 } }],
      inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
      outputs: [{ name: 'y', dims: [] }],
      initializers: [{ name: 'b', dims: [2], values: [1, 2] }],
    };
    expect(() => importOnnx(encodeModel(legacy))).toThrow(/broadcast = 1 with an axis \(opset < 7\) is not supported/);
  });

  it('one OnnxError names every unsupported op, attribute and shape case, with its node, before any GPU work', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Einsum', inputs: ['x'], outputs: ['e'], name: 'einsum1', attrs: { equation: 'nchw->nchw' } },
        { op: 'Relu', inputs: ['e'], outputs: ['r'], name: 'after_einsum' }, // reads a failed value: not reported again
        { op: 'MaxPool', inputs: ['x'], outputs: ['p'], name: 'autopad', attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_SIDEWAYS' } },
        { op: 'AveragePool', inputs: ['v'], outputs: ['q'], name: 'pool3d', attrs: { kernel_shape: [2, 2, 2] } },
        { op: 'FusedConv', domain: 'com.microsoft', inputs: ['x'], outputs: ['f'], name: 'custom' },
        { op: 'Pad', inputs: ['x', 'pads'], outputs: ['z'], name: 'mirror', attrs: { mode: 'mirror' } },
      ],
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }, { name: 'v', dims: [1, 1, 4, 4, 4] }],
      outputs: ['r', 'p', 'q', 'f', 'z'].map((name) => ({ name, dims: [] })),
      initializers: [{ name: 'pads', dims: [8], type: INT64, values: [0, 0, 1, 1, 0, 0, 1, 1] }],
    };
    let err: unknown;
    try {
      importOnnx(encodeModel(spec), { label: 'many.onnx' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxError);
    const msg = (err as OnnxError).message;
    expect(msg).toMatch(/^many\.onnx: 5 problems \(nothing was converted\):/);
    expect(msg).toContain("node 'einsum1' (Einsum, opset 13): unsupported op 'Einsum'");
    expect(msg).toContain("node 'autopad' (MaxPool, opset 13): auto_pad 'SAME_SIDEWAYS' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    expect(msg).toContain("node 'pool3d' (AveragePool, opset 13): only 1-D and 2-D pooling");
    expect(msg).toContain("node 'custom' (FusedConv, opset 13): unsupported op 'FusedConv' of domain 'com.microsoft'");
    expect(msg).toContain("node 'mirror' (Pad, opset 13): mode 'mirror' is not one of");
    expect(msg).not.toContain('after_einsum');
    expect(msg).toMatch(/\nsupported ops: .*Conv/);
  });

  it('training-mode BatchNormalization and Dropout are refused at import, naming the node and the attribute', async () => {
    const bn: ModelSpec = {
      opset: 15,
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'], name: 'bn', attrs: { training_mode: 1 } }],
      inputs: [{ name: 'x', dims: [2, 3, 4, 4] }],
      outputs: [{ name: 'y', dims: [] }],
      initializers: ['s', 'b', 'm', 'v'].map((name) => ({ name, dims: [3], values: [1, 1, 1] })),
    };
    expect(() => importOnnx(encodeModel(bn), { label: 'bn.onnx' })).toThrow(OnnxError);
    expect(() => importOnnx(encodeModel(bn), { label: 'bn.onnx' })).toThrow("bn.onnx: node 'bn' (BatchNormalization, opset 15): training_mode = 1 is not supported (inference only)");
    const dropout = (ratio: number): ModelSpec => ({
      nodes: [{ op: 'Dropout', inputs: ['x', 'ratio', 'training'], outputs: ['y'], name: 'drop' }],
      inputs: [{ name: 'x', dims: [2, 3] }],
      outputs: [{ name: 'y', dims: [] }],
      initializers: [{ name: 'ratio', dims: [], values: [ratio] }, { name: 'training', dims: [], type: BOOL, values: [1] }],
    });
    expect(() => importOnnx(encodeModel(dropout(0.5)), { label: 'drop.onnx' })).toThrow(OnnxError);
    expect(() => importOnnx(encodeModel(dropout(0.5)), { label: 'drop.onnx' })).toThrow("drop.onnx: node 'drop' (Dropout, opset 13): training_mode = true with ratio 0.5 is not supported");
    // Ratio 0 keeps every value: the identity, in training mode too.
    const same = importOnnx(encodeModel(dropout(0)), { backend: new CpuBackend() });
    expect(await same.predictAll([seq(6)])).toEqual([seq(6)]);
    same.dispose();
  });

  it('one problem keeps its one-line message', () => {
    const spec: ModelSpec = {
      nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['p'], name: 'dilated', attrs: { kernel_shape: [2, 2], dilations: [3, 3], pads: [1, 1, 1, 1] } }],
      inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
      outputs: [{ name: 'p', dims: [] }],
    };
    expect(() => importOnnx(encodeModel(spec))).toThrow(/^model\.onnx: node 'dilated' \(MaxPool, opset 13\): pool2d 'p': with dilation \[3,3\] the window at row 0 covers only padding/);
  });

  it('a value input the float graph input is too big to be becomes the usual error', () => {
    const spec: ModelSpec = {
      nodes: [{ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'] }, { op: 'Relu', inputs: ['x'], outputs: ['lo'] }],
      inputs: [{ name: 'x', dims: [3, 40] }],
      outputs: [{ name: 'y', dims: [] }],
    };
    expect(() => importOnnx(encodeModel({ ...spec, nodes: [spec.nodes[1], spec.nodes[0]] }))).toThrow(/min \('lo'\) must be a constant/);
  });
});

