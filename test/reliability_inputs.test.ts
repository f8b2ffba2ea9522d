// Reliability, bad input: a wrong input shape, batch or type to predict() is a typed error naming
// the model, the input and the shapes, raised before any GPU work (no buffer, no submit); NaN and
// ±Inf inputs run without a crash and propagate as IEEE 754 says, the same as on the CPU
// reference (NaN in → NaN out wherever it flows). Relu, max pooling, softmax and the losses with
// NaN and ±Inf, bit by bit, are in nan_propagation.test.ts.
import { describe, expect } from 'vitest';
import { createModel, Sequential, layers, CpuBackend, ShapeError, WebCnnError, type Backend, type Model } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { closeReport } from './helpers/compare.js';
import { lcgImage as image } from './helpers/bits.js';

/** conv (tanh) → average pool → dense (sigmoid): every output depends on every input pixel. */
function smallNet(backend: Backend): Model {
  return new Sequential({ inputShape: [2, 8, 8], name: 'small', backend, seed: 7 })
    .add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1, activation: 'tanh' }), 'conv')
    .add(layers.avgPool2d({ kernelSize: 2 }), 'pool')
    .add(layers.flatten(), 'flat')
    .add(layers.dense({ units: 5, activation: 'sigmoid' }), 'fc');
}

const TOL = { atol: 1e-4, rtol: 1e-3 };

describe('wrong input to predict()', () => {
  gpuIt('shape, batch, count and type errors name the model, the input and the shapes, before any GPU work', async (gpu) => {
    const model = smallNet(gpu);
    const before = gpu.memoryInfo();
    const submits = gpu.submitCount;
    const refuse = async (call: () => Promise<unknown>, message: string | RegExp) => {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, String(message)).toBeInstanceOf(WebCnnError);
      expect((err as Error).message).toMatch(message);
      return err;
    };
    // 127 values: not a whole number of [2,8,8] samples (128 values each).
    const e1 = await refuse(() => model.predict(new Float32Array(127)), "model 'small': input 'input' has 127 values, not a whole batch of samples of shape [2,8,8] (128 values each)");
    expect(e1).toBeInstanceOf(ShapeError);
    await refuse(() => model.predict(new Float32Array(128 * 2), 3), "input 'input' has 256 values, not a whole batch");
    await refuse(() => model.predict(new Float32Array(0)), "input 'input' has 0 values");
    await refuse(() => model.predict(new Float32Array(128), 0), 'not a whole batch');
    await refuse(() => model.predict(new Float32Array(128), 1.5), 'not a whole batch');
    await refuse(() => model.predictAll([]), "model 'small': expects 1 inputs, got 0");
    await refuse(() => model.predictAll([new Float32Array(128), new Float32Array(128)]), 'expects 1 inputs, got 2');
    const e2 = await refuse(() => model.predictAll([new Float64Array(128) as unknown as Float32Array]), "model 'small': input 'input' must be a Float32Array, got Float64Array");
    expect(e2).toBeInstanceOf(ShapeError);
    await refuse(() => model.predictAll([Array.from({ length: 128 }, () => 0) as unknown as Float32Array]), 'must be a Float32Array, got Array');
    await refuse(() => model.predictAll([null as unknown as Float32Array]), 'must be a Float32Array, got null');
    // Through predict() a non-Float32Array goes to the image-input path, which refuses it in words too.
    await refuse(() => model.predict(42 as unknown as Float32Array), /Float32Array/);
    expect(gpu.memoryInfo(), 'nothing allocated').toEqual(before);
    expect(gpu.submitCount, 'nothing submitted').toBe(submits);
    // The model still works afterwards.
    const y = await model.predict(image(128, 1));
    expect(y).toHaveLength(5);
    model.dispose();
  }, 600_000);

  gpuIt('a zoo model: LeNet-5 fed a 28×28 image says what it wants', async (gpu) => {
    const model = createModel('lenet5', { backend: gpu });
    await expect(model.predict(new Float32Array(28 * 28))).rejects.toThrow(ShapeError);
    await expect(model.predict(new Float32Array(28 * 28))).rejects.toThrow(
      "model 'lenet5': input 'input' has 784 values, not a whole batch of samples of shape [1,32,32] (1024 values each)",
    );
    model.dispose();
  });
});

describe('NaN and Inf inputs', () => {
  const cpu = new CpuBackend();
  const poison = (x: Float32Array, at: number, v: number) => {
    const y = x.slice();
    y[at] = v;
    return y;
  };

  gpuIt('a small conv net: NaN in → NaN out everywhere it flows; ±Inf saturates tanh; equal to the CPU', async (gpu) => {
    const onGpu = smallNet(gpu);
    const onCpu = smallNet(cpu);
    const x = image(2 * 128, 3); // batch 2: sample 0 poisoned, sample 1 clean
    for (const [label, v] of [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity]] as const) {
      const bad = poison(x, 37, v);
      const got = await onGpu.predict(bad, 2);
      const ref = await onCpu.predict(bad, 2);
      expect(closeReport(got, ref, TOL, [2, 5]), `${label}: GPU vs CPU`).toBeNull();
      const clean = await onCpu.predict(x.subarray(128), 1);
      expect(closeReport(got.subarray(5), clean, TOL), `${label}: the other sample of the batch is untouched`).toBeNull();
      if (Number.isNaN(v)) expect(Array.from(got.subarray(0, 5)).every(Number.isNaN), 'NaN reaches every output through the dense layer').toBe(true);
      else expect(Array.from(got).every(Number.isFinite), `${label} saturates in tanh: finite outputs`).toBe(true);
    }
    // A whole image of NaN, and of Inf.
    const allNan = await onGpu.predict(new Float32Array(128).fill(NaN));
    expect(Array.from(allNan).every(Number.isNaN)).toBe(true);
    const allInf = await onGpu.predict(new Float32Array(128).fill(Infinity));
    expect(closeReport(allInf, await onCpu.predict(new Float32Array(128).fill(Infinity)), TOL)).toBeNull();
    onGpu.dispose();
    onCpu.dispose();
  }, 600_000);

  gpuIt('LeNet-5: a NaN pixel makes every RBF distance NaN, an Inf pixel does not crash; equal to the CPU', async (gpu) => {
    const onGpu = createModel('lenet5', { backend: gpu, seed: 3 });
    const onCpu = createModel('lenet5', { backend: cpu, seed: 3 });
    const x = image(32 * 32, 8);
    const nan = await onGpu.predict(poison(x, 500, NaN));
    expect(Array.from(nan).every(Number.isNaN)).toBe(true);
    for (const v of [Infinity, -Infinity]) {
      const bad = poison(x, 500, v);
      expect(closeReport(await onGpu.predict(bad), await onCpu.predict(bad), TOL), String(v)).toBeNull();
    }
    onGpu.dispose();
    onCpu.dispose();
  }, 600_000);
});
