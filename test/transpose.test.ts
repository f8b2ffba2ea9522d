// transpose: any permutation of any rank, GPU vs the CPU reference through a model with one
// transpose layer (odd sizes, batch > 1, rank 0 to 6, the default reversed order); its
// gradient (the inverse permutation) trained GPU = CPU and against finite differences; and
// ONNX: a ShuffleNet channel shuffle and an NHWC permute exported from PyTorch equal PyTorch.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, input, apply, layers, CpuBackend, ShapeError, type Backend, type Dim, type Shape } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const EXACT = { atol: 0, rtol: 0 };

/** A model of one transpose layer over an input of this whole shape. */
function transposeModel(backend: Backend, shape: readonly Dim[], perm?: number[]): Model {
  const x = input({ shape, name: 'x' });
  const y = apply(perm ? { type: 'transpose', perm } : { type: 'transpose' }, x, 'transpose');
  return new Model({ inputs: x, outputs: y, name: 'transpose', backend });
}

const CASES: [Shape, number[] | undefined][] = [
  [[], []],
  [[7], [0]],
  [[3, 5], [1, 0]],
  [[2, 3, 5], undefined],
  [[2, 3, 5, 7], [0, 2, 3, 1]],
  [[2, 3, 5, 7], [0, 3, 1, 2]],
  [[3, 1, 4, 5], [2, 0, 3, 1]],
  [[2, 4, 3, 5, 3], [0, 2, 1, 3, 4]], // channel shuffle: (N, g, C/g, H, W) → (N, C/g, g, H, W)
  [[2, 3, 1, 2, 3, 2], [5, 4, 3, 2, 1, 0]],
  [[1, 33, 65], [0, 2, 1]],
];

describe('transpose', () => {
  const rng = new Rng(21);
  for (const [shape, perm] of CASES) {
    gpuIt(`${JSON.stringify(shape)} by ${perm ? JSON.stringify(perm) : 'default (reversed)'}: GPU equals CPU`, async (gpu) => {
      const x = rng.uniform(shape.reduce((a, b) => a * b, 1), -1, 1);
      const onGpu = transposeModel(gpu, shape, perm);
      const onCpu = transposeModel(new CpuBackend(), shape, perm);
      const want = perm ?? shape.map((_, i) => shape.length - 1 - i);
      expect(onCpu.outputShapes()[0]).toEqual(want.map((a) => shape[a]));
      const ref = await onCpu.predict(x);
      // The CPU twin against plain index arithmetic, on one element per output row.
      const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      const outShape = want.map((a) => shape[a]);
      const coords = outShape.map((d) => d - 1);
      const last = coords.reduce((s, c, i) => s + c * outShape.slice(i + 1).reduce((a, b) => a * b, 1), 0);
      expect(ref[last]).toBe(x[coords.reduce((s, c, i) => s + c * inStrides[want[i]], 0)]);
      expectClose(await onGpu.predict(x), ref, EXACT, 'transpose');
      onGpu.dispose();
    });
  }

  it('refuses a perm that is not a permutation of the input axes, naming the layer', () => {
    const m = transposeModel(new CpuBackend(), ['N', 3, 4], [0, 2, 2]);
    expect(() => m.info()).toThrow(ShapeError);
    expect(() => m.info()).toThrow("transpose 'transpose': perm [0,2,2] is not a permutation of the 3 axes of the input");
  });
});

/** (N, 2, 3, 4) → NHWC → flatten → dense(3): a transpose inside a trained network. */
function net(backend: Backend): Model {
  const x = input([2, 3, 4], 'x');
  const c = apply(layers.conv2d({ filters: 4, kernelSize: 1, activation: 'tanh' }), x, 'conv');
  const t = apply(layers.transpose([0, 2, 3, 1]), c, 'nhwc');
  const f = apply(layers.flatten(), t, 'flat');
  const y = apply(layers.dense({ units: 3 }), f, 'fc');
  return new Model({ inputs: x, outputs: y, name: 'nhwc', backend, seed: 3 });
}

describe('transpose trains', () => {
  const rng = new Rng(22);
  const data = { images: rng.uniform(4 * 24, -1, 1), labels: new Float32Array([0, 1, 2, 1]) };
  gpuIt('two SGD steps through a transpose on the GPU give the CPU weights', async (gpu) => {
    const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
    const onGpu = net(gpu);
    const onCpu = net(new CpuBackend());
    await fit(onGpu, data, opts);
    await fit(onCpu, data, opts);
    const want = onCpu.getWeights();
    for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, k);
  });

  it('its gradient equals finite differences (CPU)', async () => {
    const backend = new CpuBackend();
    const model = net(backend);
    const before = model.getWeights();
    await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
    const after = model.getWeights();
    for (const key of ['conv.weight', 'conv.bias']) {
      const w0 = before.get(key)!;
      for (let i = 0; i < w0.length; i += 3) {
        const at = async (d: number) => {
          const m = net(backend);
          const v = w0.slice();
          v[i] += d;
          m.setWeights(new Map(before).set(key, v));
          return (await evaluate(m, data)).loss;
        };
        const numeric = ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
        const analytic = w0[i] - after.get(key)![i];
        expect(Math.abs(analytic - numeric), `${key}[${i}]`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
      }
    }
  });
});

describe('ONNX Transpose of computed values', () => {
  const dir = new URL('./fixtures/onnx/', import.meta.url);
  const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
  gpuIt('ShuffleNet channel shuffle and an NHWC permute (PyTorch export) equal PyTorch on the GPU and the CPU', async (gpu) => {
    const x = readNpy(read('shuffle.input.npy'), 'shuffle.input.npy');
    const y = readNpy(read('shuffle.output.npy'), 'shuffle.output.npy');
    for (const backend of [gpu, new CpuBackend()]) {
      const model = await loadOnnx(read('shuffle.onnx'), { backend, label: 'shuffle.onnx' });
      expect(model.graph.nodes.filter((n) => n.layer.type === 'transpose')).toHaveLength(2);
      expectClose(await model.predict(x.data as Float32Array), y.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `shuffle (${backend.name})`);
      model.dispose();
    }
  });
});
