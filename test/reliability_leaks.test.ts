// Reliability, no leaks: thousands of forwards through the public Model API leave the engine's
// own accounting (memoryInfo(): live buffers, bytes, compiled pipelines) exactly where it was
// after warm-up, every forward is one submit, and every result is bit-identical to the first.
// dispose() returns every buffer a zoo model made; a second dispose() is harmless; a disposed
// model refuses work with DisposedError.
//
// The long loops (10,000 LeNet-5 and 1,000 ResNet-18 forwards, the counts of issue 8) run with
// `debug.forceNaive`: at batch 1 the naive kernels are the cheapest on a software adapter, and
// nothing a planned forward does at run time depends on the kernel choice (it writes the input,
// replays recorded dispatches in one submit and maps persistent staging buffers; every buffer,
// pipeline and bind group is made at plan time). The default kernels run a shorter loop of
// their own, and the eager (unplanned) path a loop that allocates and frees per forward.
import { describe, expect } from 'vitest';
import { createModel, DisposedError, WebGpuBackend, type GpuError, type MemoryInfo, type Model } from 'webcnn';
import { gpuIt, inErrorScopes, counts } from './helpers/gpu.js';
import { lcgImage as image, sameBits } from './helpers/bits.js';

/** Forwards in flight at once: enough to overlap readback latency, few enough to bound memory. */
const IN_FLIGHT = 32;

/**
 * WEBCNN_SOAK_SCALE (default 1) scales the two long loops: the suite runs the 10,000
 * LeNet-5 and 1,000 ResNet-18 forwards (about 5 and 7 minutes on SwiftShader on 2 cores);
 * 0.01 is a quick local check.
 */
const SCALE = Number(process.env.WEBCNN_SOAK_SCALE ?? 1);
if (!(SCALE > 0)) throw new Error(`WEBCNN_SOAK_SCALE must be a positive number, got ${process.env.WEBCNN_SOAK_SCALE}`);
const scaled = (n: number) => Math.max(IN_FLIGHT, Math.round(n * SCALE));

interface Soak {
  before: MemoryInfo;
  after: MemoryInfo;
  submits: number;
  mismatches: number;
  ms: number;
}

/**
 * Warms the model up (plan made, pipelines compiled), then runs `forwards` predicts, `IN_FLIGHT`
 * at a time without awaiting each other, and compares every result with the warm-up's.
 */
async function soak(be: WebGpuBackend, model: Model, x: Float32Array, forwards: number): Promise<Soak> {
  const want = await model.predict(x);
  expect(want.length).toBeGreaterThan(0);
  const before = be.memoryInfo();
  const submits0 = be.submitCount;
  const t0 = performance.now();
  let mismatches = 0;
  for (let done = 0; done < forwards; done += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, forwards - done) }, () => model.predict(x));
    for (const got of await Promise.all(batch)) if (!sameBits(got, want)) mismatches++;
  }
  const ms = performance.now() - t0;
  return { before, after: be.memoryInfo(), submits: be.submitCount - submits0, mismatches, ms };
}

function report(name: string, forwards: number, r: Soak): void {
  console.log(
    `${name}: ${forwards} forwards in ${(r.ms / 1000).toFixed(1)} s (${(r.ms / forwards).toFixed(1)} ms each); ` +
      `memory before ${JSON.stringify(r.before)}, after ${JSON.stringify(r.after)}`,
  );
}

function expectNoLeak(r: Soak, forwards: number): void {
  expect(r.mismatches, 'results that differ from the first forward').toBe(0);
  expect(r.submits, 'one submit per forward').toBe(forwards);
  expect(r.after, 'live buffers, bytes and pipelines after the loop').toEqual(r.before);
}

/** A backend of its own (debug switches are per backend), its uncaptured errors collected. */
async function ownBackend(forceNaive: boolean): Promise<{ be: WebGpuBackend; errors: string[] }> {
  const errors: string[] = [];
  const be = await WebGpuBackend.create({ debug: { forceNaive }, onUncapturedError: (e: GpuError) => errors.push(e.message) });
  return { be, errors };
}

async function soakOnOwnBackend(name: 'lenet5' | 'resnet18', inputSize: number, forwards: number, forceNaive: boolean): Promise<void> {
  counts.gpuTests++;
  const { be, errors } = await ownBackend(forceNaive);
  try {
    await inErrorScopes(be, async () => {
      const empty = be.memoryInfo();
      const model = createModel(name, { backend: be, inputSize, numClasses: 10, seed: 4 });
      const r = await soak(be, model, image((name === 'lenet5' ? 1 : 3) * inputSize * inputSize, 11), forwards);
      report(`${name} ${inputSize}×${inputSize}${forceNaive ? ' (naive kernels)' : ''}`, forwards, r);
      expectNoLeak(r, forwards);
      model.dispose();
      expect(be.memoryInfo().buffers, 'every buffer freed by dispose()').toBe(empty.buffers);
      expect(be.memoryInfo().bytes).toBe(empty.bytes);
    });
  } finally {
    be.dispose();
  }
  expect(errors).toEqual([]);
}

describe('no leaks over thousands of forwards', () => {
  const LENET5_FORWARDS = scaled(10_000);
  const RESNET18_FORWARDS = scaled(1_000);

  gpuIt(`${LENET5_FORWARDS.toLocaleString('en-US')} LeNet-5 forwards (batch 1): buffers, bytes and pipelines unchanged`, async () => {
    await soakOnOwnBackend('lenet5', 32, LENET5_FORWARDS, true);
  }, 3_600_000);

  gpuIt(`${RESNET18_FORWARDS.toLocaleString('en-US')} ResNet-18 forwards (16×16, batch 1): buffers, bytes and pipelines unchanged`, async () => {
    await soakOnOwnBackend('resnet18', 16, RESNET18_FORWARDS, true);
  }, 3_600_000);

  gpuIt('the default kernels: 200 LeNet-5 and 5 ResNet-18 forwards, nothing leaks', async (gpu) => {
    for (const [name, size, n] of [['lenet5', 32, 200], ['resnet18', 16, 5]] as const) {
      const empty = gpu.memoryInfo();
      const model = createModel(name, { backend: gpu, inputSize: size, numClasses: 10, seed: 2 });
      const r = await soak(gpu, model, image((name === 'lenet5' ? 1 : 3) * size * size, 5), n);
      report(`${name} ${size}×${size}`, n, r);
      expectNoLeak(r, n);
      model.dispose();
      expect(gpu.memoryInfo().buffers).toBe(empty.buffers);
      expect(gpu.memoryInfo().bytes).toBe(empty.bytes);
    }
  }, 1_800_000);

  gpuIt('the eager path (no plan): 30 LeNet-5 forwards allocate and free every intermediate', async (gpu) => {
    const model = createModel('lenet5', { backend: gpu, seed: 6 });
    const x = gpu.tensor(image(32 * 32, 3), [1, 1, 32, 32]);
    const [first] = model.forward(gpu, [x]);
    const want = await first.read();
    first.dispose();
    const before = gpu.memoryInfo();
    for (let i = 0; i < 30; i++) {
      const [y] = model.forward(gpu, [x]);
      if (i % 10 === 9) expect(sameBits(await y.read(), want), `forward ${i}`).toBe(true);
      y.dispose();
    }
    await gpu.sync();
    expect(gpu.memoryInfo()).toEqual(before);
    x.dispose();
    model.dispose();
  }, 600_000);
});

describe('dispose', () => {
  gpuIt('a zoo model frees every buffer it made; a second dispose() is harmless; then every use throws DisposedError', async (gpu) => {
    const empty = gpu.memoryInfo();
    const model = createModel('resnet18', { backend: gpu, inputSize: 16, numClasses: 10, seed: 1 });
    const x = image(3 * 16 * 16, 9);
    await model.predict(x);
    await model.predict(new Float32Array(2 * 3 * 16 * 16), 2); // a second plan
    expect(gpu.memoryInfo().buffers).toBeGreaterThan(empty.buffers);
    model.dispose();
    expect(gpu.memoryInfo().buffers).toBe(empty.buffers);
    expect(gpu.memoryInfo().bytes).toBe(empty.bytes);
    model.dispose();
    expect(gpu.memoryInfo().buffers).toBe(empty.buffers);
    await expect(model.predict(x)).rejects.toThrow(DisposedError);
    await expect(model.predict(x)).rejects.toThrow("predict: model 'resnet18' was disposed");
    await expect(model.plan(1)).rejects.toThrow(DisposedError);
    expect(() => model.setWeights(new Map())).toThrow(DisposedError);
    expect(() => model.forward(gpu, [])).toThrow("forward: model 'resnet18' was disposed");
  }, 900_000);

  gpuIt('disposing while forwards are in flight: they finish or reject, and nothing is left behind', async (gpu) => {
    const empty = gpu.memoryInfo();
    const model = createModel('lenet5', { backend: gpu, seed: 8 });
    const x = image(32 * 32, 1);
    const want = await model.predict(x);
    const inFlight = Array.from({ length: 8 }, () => model.predict(x));
    model.dispose();
    const settled = await Promise.allSettled(inFlight);
    for (const s of settled) {
      if (s.status === 'fulfilled') expect(sameBits(s.value, want)).toBe(true);
      else expect(s.reason).toBeInstanceOf(DisposedError);
    }
    await gpu.sync();
    expect(gpu.memoryInfo().buffers).toBe(empty.buffers);
    expect(gpu.memoryInfo().bytes).toBe(empty.bytes);
  }, 600_000);
});
