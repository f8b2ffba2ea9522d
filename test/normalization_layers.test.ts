// Layer, instance and group normalization: GPU vs the CPU reference, forward and backward
// (dx, dweight, dbias) over ranks 2 to 5, odd sizes, batch > 1, every layer-norm axis and
// several group counts, and grids folded into y under a lowered workgroup limit; the CPU
// reference against the formula by hand and its gradients against finite differences; a
// network with all three trained GPU = CPU; ONNX's node tests; a PyTorch export (x.mean((2, 3)),
// nn.LayerNorm, nn.InstanceNorm2d(affine), nn.GroupNorm) at opsets 13 (the decomposed layer
// norm) and 17; and hand-written GroupNormalization and Reduce* models at opsets the node tests
// lack.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model, input, apply, layers, CpuBackend, CpuTensor, WebGpuBackend, ShapeError, type Backend, type Tensor, type TrainingBackend, type LayerConfig } from 'webcnn';
import { fit } from 'webcnn/train';
import { loadOnnx } from 'webcnn/onnx';
import { opOf, layerParams } from '../src/ops/registry.js';
import { readNpy } from '../src/io/npy.js';
import { fuseDecomposedNorms } from '../src/onnx/patterns.js';
import type { NodeProto, TensorProto } from '../src/onnx/proto.js';
import { gpuIt, cpu, counts, inErrorScopes } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';
import { runNodeTests } from './helpers/onnx_node.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Case {
  layer: LayerConfig;
  shape: number[];
}

const CASES: Case[] = [
  { layer: { type: 'layerNorm' }, shape: [3, 7] },
  { layer: { type: 'layerNorm', axis: 0 }, shape: [3, 7] },
  { layer: { type: 'layerNorm', axis: -1, epsilon: 1e-3 }, shape: [2, 5, 33] },
  { layer: { type: 'layerNorm', axis: 1 }, shape: [2, 3, 4, 5] },
  { layer: { type: 'layerNorm', axis: 2 }, shape: [2, 3, 4, 5, 3] },
  { layer: { type: 'layerNorm', axis: -1 }, shape: [1, 2, 300] },
  { layer: { type: 'instanceNorm' }, shape: [2, 3, 5, 7] },
  { layer: { type: 'instanceNorm', epsilon: 1e-3 }, shape: [3, 4, 9] },
  { layer: { type: 'instanceNorm' }, shape: [2, 2, 3, 4, 3] },
  { layer: { type: 'groupNorm', groups: 2 }, shape: [2, 6, 5, 3] },
  { layer: { type: 'groupNorm', groups: 1 }, shape: [3, 4, 7] },
  { layer: { type: 'groupNorm', groups: 3 }, shape: [2, 9, 2, 3, 2] },
  { layer: { type: 'groupNorm', groups: 4 }, shape: [2, 8, 16, 17] },
];

const paramShape = (c: Case) => layerParams(c.layer, 'n', [c.shape])[0].shape;

/** The layer's forward and, with dy, its gradients [dx, dweight, dbias], on backend b. */
function run(b: Backend, c: Case, x: Float32Array, w: Float32Array, bias: Float32Array, dy?: Float32Array): Tensor[] {
  const def = opOf(c.layer);
  const ps = paramShape(c);
  const args = { layer: c.layer, name: 'n', inputs: [b.tensor(x, c.shape)], params: [b.tensor(w, ps), b.tensor(bias, ps)] };
  const y = def.forward(b, args);
  if (!dy) return [y];
  const g = def.backward!(b as TrainingBackend, { ...args, output: y, saved: {}, dy: b.tensor(dy, c.shape), needInput: [true] });
  return [y, g.inputs![0]!, ...g.params!.map((t) => t!)];
}

const label = (c: Case) => `${c.layer.type}${JSON.stringify({ ...c.layer, type: undefined })} on ${JSON.stringify(c.shape)}`;

describe('normalization layers: GPU equals CPU', () => {
  const rng = new Rng(41);
  for (const c of CASES) {
    gpuIt(`${label(c)}: forward and backward`, async (gpu) => {
      const p = numel(paramShape(c));
      const x = rng.uniform(numel(c.shape), -3, 3);
      const w = rng.uniform(p, 0.5, 1.5);
      const bias = rng.uniform(p, -1, 1);
      const dy = rng.uniform(numel(c.shape), -1, 1);
      const ref = await Promise.all(run(cpu, c, x, w, bias, dy).map((t) => t.read()));
      const got = await Promise.all(run(gpu, c, x, w, bias, dy).map((t) => t.read()));
      counts.comparisons++;
      ['y', 'dx', 'dweight', 'dbias'].forEach((what, i) => expectClose(got[i], ref[i], { atol: 1e-4, rtol: 1e-4 }, `${label(c)} ${what}`));
    });
  }
});

describe('normalization layers: many rows', () => {
  it('more rows and parameters than the workgroups of a dispatch dimension (lowered to 8): the grid folds into y', async () => {
    const be = await WebGpuBackend.create({ limitOverrides: { maxComputeWorkgroupsPerDimension: 8 } });
    try {
      const rng = new Rng(45);
      for (const c of [{ layer: { type: 'layerNorm' }, shape: [3, 17, 13] }, { layer: { type: 'instanceNorm' }, shape: [2, 20, 3] }] as Case[]) {
        const p = numel(paramShape(c));
        const x = rng.uniform(numel(c.shape), -3, 3);
        const [w, bias] = [rng.uniform(p, 0.5, 1.5), rng.uniform(p, -1, 1)];
        const dy = rng.uniform(numel(c.shape), -1, 1);
        const ref = await Promise.all(run(cpu, c, x, w, bias, dy).map((t) => t.read()));
        const got = await inErrorScopes(be, () => Promise.all(run(be, c, x, w, bias, dy).map((t) => t.read())));
        counts.comparisons++;
        ['y', 'dx', 'dweight', 'dbias'].forEach((what, i) => expectClose(got[i], ref[i], { atol: 1e-4, rtol: 1e-4 }, `${label(c)} ${what}`));
      }
    } finally {
      be.dispose();
    }
  });
});

describe('normalization layers: the CPU reference', () => {
  it('layerNorm over the last axis equals the formula by hand', async () => {
    const x = [1, 2, 4, -1, 0, 1];
    const [y] = run(cpu, { layer: { type: 'layerNorm', epsilon: 0 }, shape: [2, 3] }, Float32Array.from(x), Float32Array.from([1, 2, 3]), Float32Array.from([0, 0, 1]));
    const want: number[] = [];
    for (const row of [x.slice(0, 3), x.slice(3)]) {
      const m = row.reduce((a, b) => a + b) / 3;
      const sd = Math.sqrt(row.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
      row.forEach((v, j) => want.push(((v - m) / sd) * [1, 2, 3][j] + [0, 0, 1][j]));
    }
    expectClose(await y.read(), Float32Array.from(want), { atol: 1e-6, rtol: 1e-5 }, 'layerNorm');
  });

  it('instanceNorm is groupNorm with one group per channel', async () => {
    const rng = new Rng(42);
    const shape = [2, 4, 3, 5];
    const x = rng.uniform(numel(shape), -2, 2);
    const w = rng.uniform(4, 0.5, 1.5);
    const bias = rng.uniform(4, -1, 1);
    const [a] = run(cpu, { layer: { type: 'instanceNorm' }, shape }, x, w, bias);
    const [b] = run(cpu, { layer: { type: 'groupNorm', groups: 4 }, shape }, x, w, bias);
    expect(await a.read()).toEqual(await b.read());
  });

  const rng = new Rng(43);
  for (const c of [CASES[3], CASES[7], CASES[9]]) {
    it(`${label(c)}: gradients of x, weight and bias equal finite differences`, async () => {
      const p = numel(paramShape(c));
      const x = rng.uniform(numel(c.shape), -2, 2);
      const w = rng.uniform(p, 0.5, 1.5);
      const bias = rng.uniform(p, -1, 1);
      const r = rng.uniform(numel(c.shape), -1, 1);
      const [, dx, dw, db] = await Promise.all(run(cpu, c, x, w, bias, r).map((t) => t.read()));
      const loss = (xv: Float32Array, wv: Float32Array, bv: Float32Array) => project((run(cpu, c, xv, wv, bv)[0] as CpuTensor).data, r);
      expectGradient((v) => loss(v, w, bias), x, dx, { eps: 1e-2, label: 'dx' });
      expectGradient((v) => loss(x, v, bias), w, dw, { eps: 1e-2, label: 'dweight' });
      expectGradient((v) => loss(x, w, v), bias, db, { eps: 1e-2, label: 'dbias' });
    });
  }

  it('refuses a group count that does not divide the channels, naming the layer', () => {
    const x = input([6, 4, 4], 'x');
    const m = new Model({ inputs: x, outputs: apply(layers.groupNorm({ groups: 4 }), x, 'gn'), backend: new CpuBackend() });
    expect(() => m.info()).toThrow(ShapeError);
    expect(() => m.info()).toThrow("groupNorm 'gn': groups 4 must divide the 6 channels (input [1,6,4,4])");
  });
});

/** conv → groupNorm → conv → instanceNorm → layerNorm(axis 1) → flatten → dense(3). */
function net(backend: Backend): Model {
  const x = input([2, 6, 6], 'x');
  const c1 = apply(layers.conv2d({ filters: 4, kernelSize: 3 }), x, 'c1');
  const g = apply(layers.groupNorm({ groups: 2 }), c1, 'gn');
  const c2 = apply(layers.conv2d({ filters: 3, kernelSize: 1, activation: 'tanh' }), g, 'c2');
  const i = apply(layers.instanceNorm(), c2, 'in');
  const l = apply(layers.layerNorm({ axis: 1 }), i, 'ln');
  const y = apply(layers.dense({ units: 3 }), apply(layers.flatten(), l, 'flat'), 'fc');
  return new Model({ inputs: x, outputs: y, name: 'norms', backend, seed: 9 });
}

describe('normalization layers train', () => {
  const rng = new Rng(44);
  const data = { images: rng.uniform(4 * 72, -1, 1), labels: new Float32Array([0, 1, 2, 1]) };
  gpuIt('two SGD steps through groupNorm, instanceNorm and layerNorm on the GPU give the CPU weights', async (gpu) => {
    const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
    const onGpu = net(gpu);
    const onCpu = net(new CpuBackend());
    expect([...onCpu.getWeights().keys()]).toContain('gn.weight');
    expect([...onCpu.getWeights().keys()]).toContain('ln.bias');
    await fit(onGpu, data, opts);
    await fit(onCpu, data, opts);
    const want = onCpu.getWeights();
    for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-4, rtol: 1e-3 }, k);
    onGpu.dispose();
  });
});

describe('ONNX LayerNormalization node tests', () => {
  gpuIt('all of them pass on the GPU and the CPU', async (gpu) => {
    for (const backend of [gpu, new CpuBackend()]) {
      const { passed, failed, outOfScope } = await runNodeTests(['test_layer_normalization_', 'test_instancenorm_'], backend);
      expect(failed, backend.name).toEqual([]);
      expect(outOfScope, backend.name).toEqual([]);
      // LayerNormalization's 19 (Scale and B given as inputs of the layer), each with its Mean
      // and InvStdDev outputs, and InstanceNormalization's 2 (opset 6).
      expect(passed.length).toBe(21);
    }
  }, 120_000);
});

describe('the decomposed layer norm pattern', () => {
  const attr = (name: string, v: { i?: number; ints?: number[] }) => ({ name, type: 0, f: 0, i: v.i ?? 0, s: new Uint8Array(), t: null, floats: [], ints: v.ints ?? [], strings: [] });
  const node = (opType: string, inputs: string[], out: string, attributes = [attr('axes', { ints: [-1] })]): NodeProto =>
    ({ name: out, opType, domain: '', inputs, outputs: [out], attributes: opType === 'ReduceMean' ? attributes : [] });
  const scalar = (name: string, v: number): TensorProto =>
    ({ name, dims: [], dataType: 1, floatData: [v], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], rawData: null, external: false });
  const nodes = [
    node('ReduceMean', ['x'], 'm'), node('Sub', ['x', 'm'], 'd'), node('Pow', ['d', 'two'], 'p'), node('ReduceMean', ['p'], 'v'),
    node('Add', ['v', 'eps'], 'a'), node('Sqrt', ['a'], 's'), node('Div', ['d', 's'], 'n'), node('Mul', ['n', 'w'], 'y'), node('Add', ['y', 'b'], 'z'),
  ];
  const inits = [scalar('two', 2), scalar('eps', 1e-5), scalar('w', 1.5), scalar('b', 0.5)];

  it('becomes one LayerNormalization node', () => {
    const fused = fuseDecomposedNorms(nodes, inits, ['z'], 't');
    expect(fused.map((n) => n.opType)).toEqual(['LayerNormalization']);
    expect(fused[0].inputs).toEqual(['x', 'w', 'b']);
    expect(fused[0].outputs).toEqual(['z']);
  });

  it('PyTorch\'s group norm becomes one GroupNormalization node, unless its instance norm has a real scale', () => {
    const vec = (name: string, values: number[], dims = [values.length]): TensorProto => ({ ...scalar(name, 0), dims, floatData: values });
    const gn = [
      node('Reshape', ['x', 'target'], 'r'), node('InstanceNormalization', ['r', 'ones', 'zeros'], 'i'), node('Shape', ['x'], 'shape'),
      node('Reshape', ['i', 'shape'], 'back'), node('Mul', ['back', 'w'], 'y'), node('Add', ['y', 'b'], 'z'),
    ];
    const consts = [vec('target', [0, 2, -1]), vec('ones', [1, 1]), vec('zeros', [0, 0]), vec('w', [1, 2, 3, 4], [4, 1, 1]), vec('b', [0, 1, 0, 1], [4, 1, 1])];
    const fused = fuseDecomposedNorms(gn, consts, ['z'], 't');
    expect(fused.map((n) => n.opType)).toEqual(['Shape', 'GroupNormalization']);
    expect(fused[1].inputs).toEqual(['x', 'w', 'b']);
    expect(fuseDecomposedNorms(gn, [...consts.slice(0, 1), vec('ones', [1, 2]), ...consts.slice(2)], ['z'], 't')).toHaveLength(gn.length);
  });

  it('is left alone when an intermediate is read elsewhere, or the exponent is not 2', () => {
    expect(fuseDecomposedNorms(nodes, inits, ['z', 'd'], 't')).toHaveLength(nodes.length);
    expect(fuseDecomposedNorms([...nodes, node('Relu', ['v'], 'r')], inits, ['z', 'r'], 't')).toHaveLength(nodes.length + 1);
    expect(fuseDecomposedNorms(nodes, [scalar('two', 3), ...inits.slice(1)], ['z'], 't')).toHaveLength(nodes.length);
  });
});

describe('PyTorch export', () => {
  gpuIt('x.mean((2, 3)), nn.LayerNorm, nn.InstanceNorm2d(affine=True), nn.GroupNorm exported from PyTorch, GroupNormalization and reductions at opsets 11 and 18, equal PyTorch and NumPy', async (gpu) => {
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-norm-'));
    try {
      execFileSync('/usr/bin/python3', [new URL('../scripts/export_norm_net.py', import.meta.url).pathname, dir], { stdio: 'pipe' });
      const x = readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), 'input.npy');
      const y = readNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))), 'output.npy');
      for (const opset of [13, 17]) {
        const bytes = new Uint8Array(readFileSync(join(dir, `norm${opset}.onnx`)));
        for (const backend of [gpu, new CpuBackend()]) {
          const model = await loadOnnx(bytes, { backend, label: `norm${opset}.onnx` });
          const types = new Set(model.graph.nodes.map((n) => n.layer.type));
          // PyTorch writes GroupNorm as an InstanceNormalization of (N, groups, rest) and an affine Mul,
          // Add (and LayerNorm below opset 17 op by op): the importer recognises each as one layer.
          for (const t of ['reduce', 'instanceNorm', 'layerNorm', 'groupNorm']) expect(types, `opset ${opset}`).toContain(t);
          for (const t of ['reshape', 'binaryConst', 'add']) expect(types, `opset ${opset}`).not.toContain(t);
          expectClose(await model.predict(x.data as Float32Array), y.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `opset ${opset} (${backend.name})`);
          model.dispose();
        }
      }
      // GroupNormalization: opset 18's per-group scale and bias, and opset 21's per-channel ones.
      const gx = readNpy(new Uint8Array(readFileSync(join(dir, 'groupnorm.input.npy'))), 'groupnorm.input.npy');
      for (const kind of ['group', 'channel']) {
        const want = readNpy(new Uint8Array(readFileSync(join(dir, `groupnorm_${kind}.output.npy`))), kind);
        const model = await loadOnnx(new Uint8Array(readFileSync(join(dir, `groupnorm_${kind}.onnx`))), { backend: gpu, label: kind });
        expect(model.graph.nodes.map((n) => n.layer)).toEqual([{ type: 'groupNorm', groups: 3, epsilon: expect.closeTo(1e-3, 8) }]);
        expectClose(await model.predict(gx.data as Float32Array), want.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `GroupNormalization per ${kind}`);
        model.dispose();
      }
      // Reductions at opsets 18 (axes as an input, noop_with_empty_axes) and 11 (axes as attributes).
      const rx = readNpy(new Uint8Array(readFileSync(join(dir, 'reduce.input.npy'))), 'reduce.input.npy');
      for (const opset of [11, 18]) {
        const want = readNpy(new Uint8Array(readFileSync(join(dir, `reduce${opset}.output.npy`))), `reduce${opset}`);
        const model = await loadOnnx(new Uint8Array(readFileSync(join(dir, `reduce${opset}.onnx`))), { backend: gpu, label: `reduce${opset}` });
        expect(model.graph.nodes.map((n) => n.layer.type)).toEqual(['reduce', 'reduce']);
        expect(model.outputShapes(2)).toEqual([opset === 18 ? [1, 4] : []]);
        expectClose(await model.predict(rx.data as Float32Array), want.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `reduce opset ${opset}`);
        model.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
