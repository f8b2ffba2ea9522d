// model.run(feeds): named inputs with whole shapes (or bare values) → named outputs with their
// shapes, on WebGPU and on the CPU reference; an ONNX model's inputs and outputs go by the
// file's names; unknown, missing and malformed feeds are refused by name before any GPU work.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, input, apply, layers, CpuBackend, InvalidArgumentError, ShapeError, readNpy, type Backend } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** Two inputs, two outputs: a conv of `image` plus a broadcast `bias` map, and its pooled logits. */
function twoByTwo(backend: Backend): Model {
  const image = input({ shape: ['N', 3, 'H', 'W'], name: 'image' });
  const bias = input({ shape: [1, 4, 1, 1], name: 'bias' });
  const c = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1 }), image, 'conv');
  const sum = apply(layers.add(), [c, bias], 'features');
  const pooled = apply(layers.globalAvgPool(), sum, 'pool');
  const logits = apply(layers.flatten(), pooled, 'logits');
  return new Model({ inputs: [image, bias], outputs: [sum, logits], name: 'two', backend, seed: 5 });
}

describe('model.run(feeds)', () => {
  const rng = new Rng(77);
  const image = { data: rng.uniform(2 * 3 * 5 * 7, -1, 1), shape: [2, 3, 5, 7] };
  const bias = { data: rng.uniform(4, -1, 1), shape: [1, 4, 1, 1] };

  it('names every output with its shape and dtype on the CPU, equal to predictAll', async () => {
    const m = twoByTwo(new CpuBackend());
    const out = await m.run({ image, bias });
    expect(Object.keys(out)).toEqual(['features', 'logits']);
    expect(out.features.shape).toEqual([2, 4, 5, 7]);
    expect(out.logits).toMatchObject({ name: 'logits', shape: [2, 4], dtype: 'float32' });
    const [features, logits] = await m.predictAll([image.data, bias.data], { dims: { H: 5, W: 7 } });
    expect(out.features.data).toEqual(features);
    expect(out.logits.data).toEqual(logits);
  });

  gpuIt('WebGPU gives the CPU outputs under the same names', async (gpu) => {
    const onGpu = twoByTwo(gpu);
    const want = await twoByTwo(new CpuBackend()).run({ image, bias });
    const got = await onGpu.run({ image, bias });
    for (const name of ['features', 'logits']) {
      expect(got[name].shape).toEqual(want[name].shape);
      expectClose(got[name].data, want[name].data, { atol: 1e-5, rtol: 1e-4 }, name);
    }
    onGpu.dispose();
  });

  it('refuses unknown, missing and malformed feeds by name', async () => {
    const m = twoByTwo(new CpuBackend());
    await expect(m.run({ image, bias, mask: bias })).rejects.toThrow(InvalidArgumentError);
    await expect(m.run({ image, bias, mask: bias })).rejects.toThrow("no input named 'mask'; the inputs are image, bias");
    await expect(m.run({ image })).rejects.toThrow("missing input 'bias'");
    await expect(m.run({ image: { data: image.data, shape: [2, 3, 5, 8] }, bias })).rejects.toThrow(ShapeError);
    await expect(m.run({ image: { data: image.data, shape: [2, 3, 5, 8] }, bias })).rejects.toThrow("input 'image' of shape [2,3,5,8] needs 240 values, got 210");
    await expect(m.run({ image: [1, 2, 3] as unknown as Float32Array, bias })).rejects.toThrow("input 'image' must be a Float32Array or { data: Float32Array, shape }");
  });

  gpuIt("an ONNX model's inputs and outputs go by the file's names", async (gpu) => {
    const dir = new URL('./fixtures/onnx/', import.meta.url);
    const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
    const x = readNpy(read('residual.input.npy'), 'residual.input.npy');
    const y = readNpy(read('residual.output.npy'), 'residual.output.npy');
    const model = await loadOnnx(read('residual.onnx'), { backend: gpu });
    try {
      const out = await model.run({ input: { data: x.data as Float32Array, shape: x.shape } });
      expect(Object.keys(out)).toEqual(['output']);
      expect(out.output.shape).toEqual(y.shape);
      expectClose(out.output.data, y.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, 'residual.onnx');
      // A bare Float32Array: the batch is solved from its length.
      expect((await model.run({ input: x.data as Float32Array })).output.shape).toEqual(y.shape);
    } finally {
      model.dispose();
    }
  });
});
