// Reliability, device loss: after device.destroy() the next predict() acquires a new device,
// uploads the weights again from the model's CPU copy, re-plans, and gives the same results as before the loss. The backend's own
// accounting starts again from zero on the new device, tensors and plans of the lost device
// refuse work in words, and a backend on a borrowed device cannot recover and says so.
// Each test makes its own backend (a shared one would be lost for the rest of the file) and
// collects that backend's uncaptured errors itself.
import { describe, it, expect } from 'vitest';
import { createModel, acquireDevice, WebGpuBackend, DeviceLostError, DisposedError, type GpuError } from 'webcnn';
import { inErrorScopes, counts } from './helpers/gpu.js';
import { lcgImage as image, sameBits } from './helpers/bits.js';

async function ownBackend(): Promise<{ be: WebGpuBackend; errors: string[] }> {
  const errors: string[] = [];
  const be = await WebGpuBackend.create({ onUncapturedError: (e: GpuError) => errors.push(e.message) });
  return { be, errors };
}

describe('device loss', () => {
  it('a loss noticed between calls: the next call recovers; tensors and plans of the lost device refuse work in words', async () => {
    counts.gpuTests++;
    const { be, errors } = await ownBackend();
    try {
      const model = createModel('lenet5', { backend: be, seed: 5 });
      const x = image(32 * 32, 9);
      const want = await model.predict(x);
      const oldPlan = await model.plan(1);
      const oldTensor = be.tensor([1, -1], [2]);
      be.device.destroy();
      expect((await be.ctx.lost).reason).toBe('destroyed');
      expect(be.isLost).toBe(true);
      await expect(oldPlan.run([x])).rejects.toThrow(DeviceLostError);

      await be.recover();
      await be.recover(); // a second call is a no-op
      expect(be.generation).toBe(1);
      expect(be.memoryInfo()).toEqual({ buffers: 0, bytes: 0, pipelines: 0 });
      await inErrorScopes(be, async () => {
        expect(() => be.activation(oldTensor, 'relu')).toThrow(DeviceLostError);
        expect(() => be.activation(oldTensor, 'relu')).toThrow(/activation: input Tensor\(webgpu, \[2\]\) was made on a GPU device that has since been lost/);
        await expect(oldPlan.run([x])).rejects.toThrow('the plan was made on a GPU device that has since been lost');
        oldTensor.dispose(); // harmless, and not counted against the new device
        oldPlan.dispose();
        expect(be.memoryInfo().buffers).toBe(0);
        // Eager ops work on the new device.
        const t = be.tensor([-2, 3], [2]);
        const r = be.activation(t, 'relu');
        expect(Array.from(await r.read())).toEqual([0, 3]);
        r.dispose();
        t.dispose();
        expect(sameBits(await model.predict(x), want)).toBe(true);
      });
      model.dispose();
    } finally {
      be.dispose();
    }
    await expect(be.recover()).rejects.toThrow(DisposedError);
    expect(errors).toEqual([]);
  }, 900_000);

  it('calls pending at the loss reject with DeviceLostError, whatever point they had reached; the next call recovers', async () => {
    counts.gpuTests++;
    const { be, errors } = await ownBackend();
    try {
      const model = createModel('lenet5', { backend: be, seed: 6 });
      const xs = Array.from({ length: 6 }, (_, i) => image(32 * 32, 20 + i));
      const want = await Promise.all(xs.map((x) => model.predict(x))); // batch 1 planned
      const x2 = image(2 * 32 * 32, 30);
      const want2 = await model.predict(x2, 2);
      model.dispose();

      // A fresh model: batch 1 is planned, batch 2 is not (its plan is being made at the loss).
      const m = createModel('lenet5', { backend: be, seed: 6 });
      await m.predict(xs[0]);
      const pending = [...xs.map((x) => m.predict(x)), m.predict(x2, 2)];
      const lost = be.ctx.lost;
      be.device.destroy();
      const settled = await Promise.allSettled(pending);
      for (const [i, s] of settled.entries()) {
        expect(s.status, `call ${i}`).toBe('rejected');
        if (s.status === 'rejected') expect(s.reason, `call ${i}: ${String(s.reason)}`).toBeInstanceOf(DeviceLostError);
      }
      expect((await lost).reason).toBe('destroyed');

      // Calls made after the loss run on a new device, with the same bits as before it.
      await inErrorScopes(be, async () => {
        const again = await Promise.all(xs.map((x) => m.predict(x)));
        again.forEach((y, i) => expect(sameBits(y, want[i]), `image ${i}`).toBe(true));
        expect(sameBits(await m.predict(x2, 2), want2)).toBe(true);
      });
      expect(be.generation).toBe(1);
      m.dispose();
      expect(be.memoryInfo().buffers).toBe(0);
    } finally {
      be.dispose();
    }
    expect(errors).toEqual([]);
  }, 900_000);

  it('a backend on a borrowed device cannot re-acquire it and says so', async () => {
    counts.gpuTests++;
    const ctx = await acquireDevice();
    const be = await WebGpuBackend.create({ context: ctx });
    const model = createModel('lenet5', { backend: be });
    ctx.device.destroy();
    await ctx.lost;
    await expect(model.predict(new Float32Array(32 * 32))).rejects.toThrow(DeviceLostError);
    await expect(model.predict(new Float32Array(32 * 32))).rejects.toThrow(/device it was lent \(the context option\): acquire a new device and make a new backend/);
    model.dispose();
    be.dispose();
  }, 300_000);
});
