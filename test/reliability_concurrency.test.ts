// Reliability, concurrency: two models interleaved on one device give bit-for-bit what each gives
// alone, and predict() calls issued without awaiting each other resolve in the order they were
// issued, each with its own input's result (checked against the CPU reference).
import { describe, expect } from 'vitest';
import { createModel, Sequential, layers, CpuBackend, type Backend, type Model } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { closeReport } from './helpers/compare.js';
import { lcgImage as image, sameBits } from './helpers/bits.js';

/** A second, different model: conv → relu → max pool → dense → softmax on 3×12×12. */
function convNet(backend: Backend): Model {
  return new Sequential({ inputShape: [3, 12, 12], name: 'convnet', backend, seed: 9 })
    .add(layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }), 'conv')
    .add(layers.maxPool2d({ kernelSize: 2 }), 'pool')
    .add(layers.flatten(), 'flat')
    .add(layers.dense({ units: 6 }), 'fc')
    .add(layers.softmax(), 'prob');
}

const TOL = { atol: 1e-4, rtol: 1e-3 };
const cpu = new CpuBackend();

describe('concurrency on one device', () => {
  gpuIt('two models interleaved give exactly what each gives alone', async (gpu) => {
    const a = createModel('lenet5', { backend: gpu, seed: 1 });
    const b = convNet(gpu);
    const xs = Array.from({ length: 6 }, (_, i) => image(32 * 32, 100 + i));
    const ys = Array.from({ length: 6 }, (_, i) => image(3 * 12 * 12, 200 + i));
    // Alone, one at a time.
    const aloneA: Float32Array[] = [];
    for (const x of xs) aloneA.push(await a.predict(x));
    const aloneB: Float32Array[] = [];
    for (const y of ys) aloneB.push(await b.predict(y));
    // Interleaved, none awaited: a, b, a, b, …
    const pending: Promise<Float32Array>[] = [];
    xs.forEach((x, i) => pending.push(a.predict(x), b.predict(ys[i])));
    const got = await Promise.all(pending);
    xs.forEach((_, i) => {
      expect(sameBits(got[2 * i], aloneA[i]), `lenet5 #${i}`).toBe(true);
      expect(sameBits(got[2 * i + 1], aloneB[i]), `convnet #${i}`).toBe(true);
    });
    // And both equal the CPU reference.
    const refA = createModel('lenet5', { backend: cpu, seed: 1 });
    const refB = convNet(cpu);
    expect(closeReport(aloneA[0], await refA.predict(xs[0]), TOL), 'lenet5 vs CPU').toBeNull();
    expect(closeReport(aloneB[0], await refB.predict(ys[0]), TOL), 'convnet vs CPU').toBeNull();
    a.dispose();
    b.dispose();
  }, 900_000);

  gpuIt('predict() calls not awaited resolve in issue order with their own results, across batch sizes', async (gpu) => {
    const model = convNet(gpu);
    const ref = convNet(cpu);
    const per = 3 * 12 * 12;
    // Batches 1, 3, 1, 2, … : two plans of one model, and calls queued on each.
    const batches = [1, 3, 1, 2, 1, 3, 2, 1];
    const inputs = batches.map((n, i) => image(n * per, 300 + i));
    const order: number[] = [];
    const pending = inputs.map((x, i) =>
      model.predict(x, batches[i]).then((y) => {
        order.push(i);
        return y;
      }),
    );
    const got = await Promise.all(pending);
    // Calls on one plan resolve in issue order; the whole list too, since one device queue runs them in submit order.
    for (const n of [1, 2, 3]) {
      const same = order.filter((i) => batches[i] === n);
      expect(same, `batch-${n} calls`).toEqual([...same].sort((p, q) => p - q));
    }
    for (let i = 0; i < inputs.length; i++) {
      const want = await ref.predict(inputs[i], batches[i]);
      expect(got[i]).toHaveLength(6 * batches[i]);
      expect(closeReport(got[i], want, TOL, [batches[i], 6]), `call ${i} (batch ${batches[i]})`).toBeNull();
    }
    model.dispose();
  }, 900_000);

  gpuIt('one model, 64 calls in flight, each with its own input', async (gpu) => {
    const model = convNet(gpu);
    const inputs = Array.from({ length: 64 }, (_, i) => image(3 * 12 * 12, 400 + i));
    const order: number[] = [];
    const got = await Promise.all(inputs.map((x, i) => model.predict(x).then((y) => (order.push(i), y))));
    expect(order).toEqual(inputs.map((_, i) => i));
    for (let i = 0; i < inputs.length; i += 9) {
      expect(sameBits(got[i], await model.predict(inputs[i])), `call ${i} equals the same input run alone`).toBe(true);
    }
    // Distinct inputs gave distinct outputs (no result handed to the wrong caller).
    expect(new Set(got.map((y) => y.join(','))).size).toBe(64);
    model.dispose();
  }, 900_000);
});
