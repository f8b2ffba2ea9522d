// Model API: Sequential and functional graphs compile to one IR; shapes and parameter counts
// are inferred before any GPU work; predict() on WebGPU runs a cached plan with one submit and
// matches the CPU reference; inference lowering folds batch norm and fuses activations.
import { describe, it, expect } from 'vitest';
import { Sequential, Model, input, apply, layers, inferGraph, ShapeError, InvalidArgumentError, CpuBackend, type Graph } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

function smallLeNet(backend?: ConstructorParameters<typeof Sequential>[0]['backend']): Sequential {
  return new Sequential({ inputShape: [1, 28, 28], name: 'lenet-small', backend, seed: 3 })
    .add(layers.conv2d({ filters: 6, kernelSize: 5, padding: 2, activation: 'relu' }), 'c1')
    .add(layers.maxPool2d({ kernelSize: 2 }), 's2')
    .add(layers.conv2d({ filters: 16, kernelSize: 5 }), 'c3')
    .add(layers.relu(), 'c3_relu')
    .add(layers.avgPool2d({ kernelSize: 2 }), 's4')
    .add(layers.flatten(), 'flatten')
    .add(layers.dense({ units: 120, activation: 'relu' }), 'f5')
    .add(layers.dropout(0.5), 'drop')
    .add(layers.dense({ units: 84, activation: 'sigmoid' }), 'f6')
    .add(layers.dense({ units: 10 }), 'f7')
    .add(layers.softmax(), 'prob');
}

/** conv → bn → relu, twice, with a residual add and a channel concat. */
function branchy(backend?: CpuBackend | Parameters<typeof input>[1] extends string ? never : never): Model {
  void backend;
  const x = input([3, 9, 9], 'image');
  const a = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1, useBias: false }), x, 'conv1');
  const b = apply(layers.batchNorm({ epsilon: 1e-3 }), a, 'bn1');
  const c = apply(layers.relu(), b, 'relu1');
  const d = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1 }), c, 'conv2');
  const e = apply(layers.batchNorm(), d, 'bn2');
  const res = apply(layers.add({ activation: 'relu' }), [e, c], 'res');
  const side = apply(layers.conv2d({ filters: 2, kernelSize: 1 }), x, 'side');
  const cat = apply(layers.concat(), [res, side], 'cat');
  const pooled = apply(layers.globalAvgPool(), cat, 'gap');
  const flat = apply(layers.flatten(), pooled, 'flat');
  const out = apply(layers.dense({ units: 5 }), flat, 'fc');
  return new Model({ inputs: x, outputs: out, name: 'branchy', seed: 5 });
}

describe('shape inference and parameter counting (no GPU)', () => {
  it('Sequential: shapes and per-layer parameter counts', () => {
    const m = smallLeNet();
    const info = m.info(2);
    const byName = Object.fromEntries(info.nodes.map((n) => [n.name, n]));
    expect(byName.c1.outputShape).toEqual([2, 6, 28, 28]);
    expect(byName.c1.paramCount).toBe(156);
    expect(byName.c3.paramCount).toBe(2416);
    expect(byName.flatten.outputShape).toEqual([2, 400]);
    expect(byName.f5.paramCount).toBe(48120);
    expect(byName.f6.paramCount).toBe(10164);
    expect(byName.f7.paramCount).toBe(850);
    expect(info.totalParams).toBe(61706);
    expect(info.outputShapes).toEqual([[2, 10]]);
    const text = m.summary();
    expect(text).toContain('c3');
    expect(text).toContain('total params: 61,706');
    expect(m.memoryPlan(1).peakBytes).toBeLessThan(m.memoryPlan(1).naiveBytes);
  });

  it('functional: branches, residual add and concat', () => {
    const info = branchy().info(1);
    expect(info.outputShapes).toEqual([[1, 5]]);
    expect(info.nodes.find((n) => n.name === 'cat')!.outputShape).toEqual([1, 6, 9, 9]);
    expect(info.nodes.find((n) => n.name === 'bn1')!.params.map((p) => p.name)).toEqual(['weight', 'bias', 'running_mean', 'running_var']);
    expect(info.trainableParams).toBe(info.totalParams);
    expect(info.bufferValues).toBe(2 * 4 + 2 * 4);
  });

  it('a shape error names the layer', () => {
    const m = new Sequential({ inputShape: [1, 8, 8] }).add(layers.conv2d({ filters: 2, kernelSize: 3 }), 'conv');
    expect(() => m.add(layers.dense({ units: 4 }), 'fc')).toThrow(ShapeError);
    expect(() => m.add(layers.dense({ units: 4 }), 'fc')).toThrow(/dense 'fc'/);
    expect(() => m.add(layers.conv2d({ filters: 2, kernelSize: 9 }), 'big')).toThrow(/conv2d 'big'/);
    // The failed adds left the model as it was.
    expect(m.info(1).outputShapes).toEqual([[1, 2, 6, 6]]);
  });

  it('rejects cycles, unknown references and duplicate names', () => {
    const base = { name: 'g', inputs: [{ name: 'x', shape: [4] }], outputs: ['b'] };
    const cyc: Graph = { ...base, nodes: [{ name: 'a', layer: layers.relu(), inputs: ['b'] }, { name: 'b', layer: layers.relu(), inputs: ['a'] }] };
    expect(() => inferGraph(cyc)).toThrow(InvalidArgumentError);
    expect(() => inferGraph(cyc)).toThrow("graph 'g': has a cycle through 'a', 'b'");
    const dangling: Graph = { ...base, nodes: [{ name: 'b', layer: layers.relu(), inputs: ['nope'] }] };
    expect(() => inferGraph(dangling)).toThrow("node 'b' reads 'nope'");
    const dup: Graph = { ...base, nodes: [{ name: 'x', layer: layers.relu(), inputs: ['x'] }] };
    expect(() => inferGraph(dup)).toThrow("the name 'x' is used twice");
  });

  it('setWeights checks names and sizes', () => {
    const m = smallLeNet();
    const w = m.getWeights();
    expect(() => m.setWeights({ 'c1.weight': new Float32Array(3) }, { strict: false })).toThrow("parameter 'c1.weight' needs 150 values for shape [6,1,5,5], got 3");
    expect(() => m.setWeights({ 'nope.weight': new Float32Array(3) }, { strict: false })).toThrow("has no parameter 'nope.weight'");
    expect(() => m.setWeights({ 'c1.weight': w.get('c1.weight')! })).toThrow(/missing parameters: c1.bias/);
    m.setWeights(w);
  });
});

describe('predict on WebGPU vs the CPU reference', () => {
  const rng = new Rng(21);

  gpuIt('Sequential LeNet, batch 1 and 3: same results, one submit per call, plans cached per batch', async (gpu) => {
    const onGpu = smallLeNet(gpu);
    const onCpu = smallLeNet(new CpuBackend());
    for (const batch of [1, 3]) {
      const x = rng.uniform(batch * 28 * 28, 0, 1);
      const ref = await onCpu.predict(x);
      const before = gpu.submitCount;
      const got = await onGpu.predict(x);
      expect(gpu.submitCount - before).toBe(1);
      expectClose(got, ref, { atol: 1e-5, rtol: 1e-4 }, `batch ${batch}`, [batch, 10]);
      const again = await onGpu.predict(x);
      expect(Array.from(again)).toEqual(Array.from(got));
    }
    expect(await onGpu.plan(1)).toBe(await onGpu.plan(1));
    onGpu.dispose();
    onGpu.dispose();
  });

  gpuIt('functional graph with batch norm folding and fused activations matches the unfused CPU run', async (gpu) => {
    const model = branchy();
    // Non-trivial batch-norm statistics.
    const w = model.getWeights();
    for (const [k, v] of w) if (/bn\d\.(running_var|weight)/.test(k)) v.set(rng.uniform(v.length, 0.5, 1.5));
    for (const [k, v] of w) if (/bn\d\.(running_mean|bias)/.test(k)) v.set(rng.uniform(v.length, -0.5, 0.5));
    model.setWeights(w);
    expect(model.fusions()).toEqual(['bn1 → conv1', 'relu1 → bn1', 'bn2 → conv2']);
    const gpuModel = new Model(model.graph, { backend: gpu, seed: 5 });
    gpuModel.setWeights(w);
    const cpuModel = new Model(model.graph, { backend: new CpuBackend(), fuse: false });
    cpuModel.setWeights(w);
    const x = rng.uniform(2 * 3 * 9 * 9);
    const ref = await cpuModel.predict(x);
    const got = await gpuModel.predict(x);
    expectClose(got, ref, { atol: 1e-5, rtol: 1e-4 }, 'branchy', [2, 5]);
    const plan = await gpuModel.plan(2);
    expect(plan.memory.peakBytes).toBeLessThan(plan.memory.naiveBytes);
    gpuModel.dispose();
  });

  gpuIt('profile() times every layer on the GPU, fused layers under their last name', async (gpu) => {
    const m = smallLeNet(gpu);
    const prof = await m.profile(rng.uniform(2 * 28 * 28), 2);
    expect(prof.source).toBe(gpu.ctx.features.has('timestamp-query') ? 'timestamp-query' : 'cpu');
    // c3 + its relu are one dispatch, reported as c3_relu; dropout and flatten issue none.
    expect(prof.layers.map((l) => l.name)).toEqual(['c1', 's2', 'c3_relu', 's4', 'f5', 'f6', 'f7', 'prob']);
    expect(prof.dispatches.every((d) => d.ms >= 0)).toBe(true);
    expect(prof.totalMs).toBeGreaterThan(0);
    m.dispose();
  });

  gpuIt('dispose() frees every buffer the model made; a second dispose is harmless; a disposed model refuses work', async (gpu) => {
    const before = gpu.memoryInfo();
    const m = smallLeNet(gpu);
    for (const batch of [1, 2]) await m.predict(rng.uniform(batch * 28 * 28), batch);
    expect(gpu.memoryInfo().buffers).toBeGreaterThan(before.buffers);
    m.dispose();
    m.dispose();
    expect(gpu.memoryInfo().buffers).toBe(before.buffers);
    expect(gpu.memoryInfo().bytes).toBe(before.bytes);
    await expect(m.predict(new Float32Array(28 * 28))).rejects.toThrow("predict: model 'lenet-small' was disposed");
  });

  gpuIt('predict rejects a partial batch before any GPU work', async (gpu) => {
    const m = smallLeNet(gpu);
    const before = gpu.submitCount;
    await expect(m.predict(new Float32Array(28 * 28 + 1))).rejects.toThrow("input 'input' has 785 values, not a whole batch of samples of shape [1,28,28]");
    expect(gpu.submitCount).toBe(before);
    m.dispose();
  });
});
