// Whole shapes in the graph IR: inputs without a batch axis and scalars, two inputs with
// different leading sizes, named dimensions bound from the data or by name (one executable per
// binding), ops on the leading axis (reshape, flatten, concat, transpose), parameters that a
// binding would change refused, and the errors that name what is wrong — on WebGPU and the CPU.
import { describe, it, expect } from 'vitest';
import { Model, Sequential, input, apply, layers, CpuBackend, ShapeError, InvalidArgumentError, inferGraph, type Backend, type Graph } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };

/** a [3,4,5] + b [5]: fixed shapes, no batch axis on either (NumPy broadcasting). */
function broadcastModel(backend: Backend): Model {
  const a = input({ shape: [3, 4, 5], name: 'a' });
  const b = input({ shape: [5], name: 'b' });
  return new Model({ inputs: [a, b], outputs: apply(layers.add(), [a, b], 'sum'), name: 'broadcast', backend });
}

/** x ['N', 'C'] · scale (a scalar input) then softmax over the batch axis. */
function scalarModel(backend: Backend): Model {
  const x = input({ shape: ['N', 'C'], name: 'x' });
  const s = input({ shape: [], name: 's' });
  const y = apply(layers.mul(), [x, s], 'scaled');
  return new Model({ inputs: [x, s], outputs: apply({ type: 'softmax', axis: 0 }, y, 'over_batch'), name: 'scalar', backend });
}

describe('whole shapes', () => {
  const rng = new Rng(31);

  gpuIt('inputs without a batch axis: [3,4,5] + [5] on the GPU equals the CPU', async (gpu) => {
    const a = rng.uniform(60);
    const b = rng.uniform(5);
    const want = await broadcastModel(new CpuBackend()).predictAll([a, b]);
    expect(want[0][7]).toBeCloseTo(a[7] + b[2], 6);
    const m = broadcastModel(gpu);
    expect(m.outputShapes()).toEqual([[3, 4, 5]]);
    expectClose((await m.predictAll([a, b]))[0], want[0], TOL, 'sum');
    m.dispose();
  });

  gpuIt('a scalar input, and an op over the leading axis, with sizes solved from the data', async (gpu) => {
    const cpuModel = scalarModel(new CpuBackend());
    const gpuModel = scalarModel(gpu);
    for (const [n, c] of [[3, 5], [6, 2]]) {
      const x = rng.uniform(n * c, -2, 2);
      const s = new Float32Array([1.5]);
      // N from the batch option; C is then the only unknown of x and its length gives it.
      const want = await cpuModel.predictAll([x, s], { batch: n });
      expect(cpuModel.outputShapes({ N: n, C: c })).toEqual([[n, c]]);
      const column = Array.from({ length: n }, (_, i) => want[0][i * c]).reduce((p, v) => p + v, 0);
      expect(column).toBeCloseTo(1, 5);
      expectClose((await gpuModel.predictAll([x, s], { dims: { N: n, C: c } }))[0], want[0], TOL, `N=${n}, C=${c}`);
    }
    // One executable per binding.
    expect(await gpuModel.plan({ N: 3, C: 5 })).toBe(await gpuModel.plan({ N: 3, C: 5 }));
    expect(await gpuModel.plan({ N: 3, C: 5 })).not.toBe(await gpuModel.plan({ N: 6, C: 2 }));
    gpuModel.dispose();
  });

  it('names the sizes a call leaves unknown, and refuses lengths no sizes fit', async () => {
    const m = scalarModel(new CpuBackend());
    await expect(m.predictAll([new Float32Array(6), new Float32Array(1)])).rejects.toThrow(ShapeError);
    await expect(m.predictAll([new Float32Array(6), new Float32Array(1)])).rejects.toThrow("the size of 'N', 'C' is not given");
    await expect(m.predictAll([new Float32Array(7), new Float32Array(1)], { batch: 2 })).rejects.toThrow("input 'x' has 7 values, which no sizes of its shape [N,C] give");
    await expect(m.predictAll([new Float32Array(6), new Float32Array(2)], { batch: 2 })).rejects.toThrow("input 's' has 2 values");
    expect(() => m.info()).toThrow(InvalidArgumentError);
    expect(() => m.info({ N: 2 })).toThrow("the size of 'C' is not given");
    expect(() => m.info({ N: 2, C: 0 })).toThrow("dimension 'C' must be a positive integer, got 0");
  });

  gpuIt('reshape, flatten, concat and transpose on the leading axis', async (gpu) => {
    const build = (backend: Backend) => {
      const x = input([2, 3], 'x'); // ['N', 2, 3]
      const whole = apply(layers.reshape([-1, 3]), x, 'rows'); // [2N, 3]: merges the batch
      const twice = apply(layers.concat({ axis: 0 }), [whole, whole], 'twice'); // [4N, 3]
      const t = apply({ type: 'transpose', perm: [1, 0] }, twice, 't'); // [3, 4N]
      const flat = apply(layers.flatten(0), t, 'flat'); // [12N]
      return new Model({ inputs: x, outputs: [t, flat], name: 'leading', backend });
    };
    const x = rng.uniform(3 * 6);
    const want = await build(new CpuBackend()).predictAll([x]);
    expect(build(new CpuBackend()).outputShapes(3)).toEqual([[3, 12], [36]]);
    expect(want[0][1 * 12 + 2]).toBe(x[2 * 3 + 1]); // t[1][2] = rows[2][1]
    const got = await build(gpu).predictAll([x]);
    got.forEach((g, i) => expectClose(g, want[i], { atol: 0, rtol: 0 }, `output ${i}`));
  });

  it('refuses a binding that would change a parameter shape, naming the layer', () => {
    const x = input({ shape: ['N', 'F'], name: 'x' });
    const m = new Model({ inputs: x, outputs: apply(layers.dense({ units: 2 }), x, 'fc'), backend: new CpuBackend(), dims: { F: 4 } });
    expect(m.parameterShapes().get('fc.weight')).toEqual([2, 4]);
    expect(() => m.info({ N: 1, F: 5 })).toThrow("layer 'fc' parameter 'weight' would need shape [2,5] for N=1,F=5, but it has [2,4]");
  });

  it('the IR takes whole shapes directly, and refuses invalid ones', () => {
    const graph: Graph = { name: 'g', inputs: [{ name: 'x', shape: ['batch', 7] }], nodes: [{ name: 'y', layer: { type: 'activation', activation: 'relu' }, inputs: ['x'] }], outputs: ['y'] };
    expect(inferGraph(graph, 5).outputShapes).toEqual([[5, 7]]);
    expect(inferGraph(graph, { batch: 2 }).inputShapes).toEqual([[2, 7]]);
    expect(() => inferGraph({ ...graph, inputs: [{ name: 'x', shape: [1.5, 7] }] })).toThrow("input 'x' has an invalid shape [1.5,7]");
    const seq = new Sequential({ inputShape: [4], backend: new CpuBackend() }).add(layers.dense({ units: 3 }), 'fc');
    expect(seq.graph.inputs[0].shape).toEqual(['N', 4]);
    expect(seq.summary(2)).toContain('activation memory (batch 2)');
  });
});
