// Warming a model up before its first result: model.warmup() compiles the plan and every
// pipeline it needs (after which predict compiles nothing), and onProgress reports the phases
// of warmup(), engine.load() and loadOnnx() — in order, each ending at its total, the compile
// phase counting exactly the pipelines compiled — and never after the promise settles; a
// callback that throws rejects the call with its own error.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createEngine, createModel, CpuBackend, WebGpuBackend, InvalidArgumentError, type LoadProgress } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { gpuIt, inErrorScopes } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';

const PHASES: readonly LoadProgress['phase'][] = ['import', 'weights', 'compile', 'ready'];

/** Checks a progress sequence: phases in order, `done` non-decreasing up to `total` in each, 'ready' 1 of 1 last. */
function expectWellFormed(events: readonly LoadProgress[], phases: readonly LoadProgress['phase'][]): void {
  expect([...new Set(events.map((e) => e.phase))]).toEqual(phases);
  for (const phase of phases) {
    const seq = events.filter((e) => e.phase === phase);
    for (let i = 1; i < seq.length; i++) {
      expect(seq[i].done).toBeGreaterThanOrEqual(seq[i - 1].done);
      expect(seq[i].total).toBe(seq[0].total);
    }
    for (const e of seq) expect(e.done).toBeLessThanOrEqual(e.total);
    expect(seq.at(-1)!.done).toBe(seq.at(-1)!.total);
  }
  expect(PHASES.filter((p) => phases.includes(p))).toEqual(phases);
  expect(events.at(-1)).toEqual({ phase: 'ready', done: 1, total: 1 });
}

const compiled = (events: readonly LoadProgress[]) => events.filter((e) => e.phase === 'compile').at(-1)!.total;

function sample(size: number, channels = 1): Float32Array {
  return new Float32Array(channels * size * size).map((_, i) => Math.sin(i * 0.37));
}

describe('model.warmup', () => {
  gpuIt('compiles every pipeline the plan needs, reported one by one; predict then compiles nothing', async (gpu) => {
    const model = createModel('lenet5', { backend: gpu, seed: 3 });
    const events: LoadProgress[] = [];
    const before = gpu.pipelines.stats;
    await model.warmup({ batch: 2, onProgress: (p) => events.push(p) });
    const after = gpu.pipelines.stats;
    expectWellFormed(events, ['weights', 'compile', 'ready']);
    expect(compiled(events)).toBeGreaterThan(0);
    expect(compiled(events)).toBe(after.misses - before.misses);
    expect(compiled(events)).toBe(after.pipelines - before.pipelines);
    expect(events.filter((e) => e.phase === 'compile').map((e) => e.done)).toEqual([...Array(compiled(events) + 1).keys()]);

    const x = sample(32);
    const got = await model.predict(new Float32Array([...x, ...x]));
    expect(gpu.pipelines.stats.misses).toBe(after.misses);
    const ref = createModel('lenet5', { backend: new CpuBackend(), seed: 3 });
    expectClose(got.subarray(0, 10), await ref.predict(x), { atol: 1e-4, rtol: 1e-3 });
    ref.dispose();

    // Warm already: nothing to compile.
    const again: LoadProgress[] = [];
    await model.warmup({ batch: 2, onProgress: (p) => again.push(p) });
    expectWellFormed(again, ['weights', 'compile', 'ready']);
    expect(compiled(again)).toBe(0);
    model.dispose();
  }, 120_000);

  it('resolves on the CPU backend, with nothing to compile', async () => {
    const model = createModel('lenet5', { backend: new CpuBackend() });
    const events: LoadProgress[] = [];
    await model.warmup({ onProgress: (p) => events.push(p) });
    expectWellFormed(events, ['weights', 'compile', 'ready']);
    expect(compiled(events)).toBe(0);
    expect(events.find((e) => e.phase === 'weights')!.total).toBeGreaterThan(0);
    await model.warmup(); // no options
    await model.warmup(4); // a batch size
    expect((await model.predict(sample(32))).length).toBe(10);
    model.dispose();
  });

  gpuIt('a callback that throws rejects the warmup with its own error, and is not called again', async (gpu) => {
    const model = createModel('lenet', { backend: gpu, seed: 1 });
    const boom = new Error('boom from onProgress');
    const events: LoadProgress[] = [];
    const buffers = gpu.memoryInfo().buffers;
    await expect(model.warmup({
      onProgress: (p) => {
        events.push(p);
        if (p.phase === 'compile' && p.done === 1) throw boom;
      },
    })).rejects.toBe(boom);
    const seen = events.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(events.length).toBe(seen);
    // The failed plan was freed and forgotten: a later warmup and predict work.
    expect(gpu.memoryInfo().buffers).toBeLessThanOrEqual(buffers + model.parameterShapes().size);
    await model.warmup();
    expect((await model.predict(sample(28))).length).toBe(10);

    // Thrown in the last phase too.
    await expect(model.warmup({ onProgress: (p) => { if (p.phase === 'ready') throw boom; } })).rejects.toBe(boom);
    model.dispose();
  }, 120_000);

  it('with asynchronous compilation (the browsers\' default): the same sequence, and nothing after a throw', async () => {
    const gpu = await WebGpuBackend.create({ debug: { compilePipelines: 'async' } });
    try {
      await inErrorScopes(gpu, async () => {
        const model = createModel('lenet5', { backend: gpu, seed: 5 });
        const events: LoadProgress[] = [];
        await model.warmup({ onProgress: (p) => events.push(p) });
        expectWellFormed(events, ['weights', 'compile', 'ready']);
        expect(compiled(events)).toBe(gpu.pipelines.stats.misses);
        const misses = gpu.pipelines.stats.misses;
        await model.predict(sample(32));
        expect(gpu.pipelines.stats.misses).toBe(misses);

        model.dispose();

        // Another model needs other pipelines; the callback throws at the first, the others finish later.
        const other = createModel('lenet', { backend: gpu, seed: 5 });
        const boom = new Error('stop');
        let calls = 0;
        await expect(other.warmup({ onProgress: (p) => { calls++; if (p.phase === 'compile' && p.done === 1) throw boom; } })).rejects.toBe(boom);
        const seen = calls;
        await gpu.sync();
        await new Promise((r) => setTimeout(r, 200));
        expect(calls).toBe(seen);
        other.dispose();
      });
    } finally {
      gpu.dispose();
    }
  }, 120_000);

  it('refuses a callback that is not a function and sizes that are not sizes', async () => {
    const model = createModel('lenet5', { backend: new CpuBackend() });
    // @ts-expect-error: not a function
    await expect(model.warmup({ onProgress: 'yes' })).rejects.toThrow(InvalidArgumentError);
    await expect(model.warmup(0)).rejects.toThrow(/positive integer/);
    model.dispose();
  });
});

describe('onProgress while loading', () => {
  gpuIt('engine.load with warmup: weights, compile, ready; the first predict compiles nothing', async () => {
    const engine = await createEngine({ backend: 'webgpu' });
    const gpu = engine.backend as WebGpuBackend;
    const events: LoadProgress[] = [];
    const model = await engine.load('lenet', { seed: 2, warmup: true, onProgress: (p) => events.push(p) });
    expectWellFormed(events, ['weights', 'compile', 'ready']);
    expect(compiled(events)).toBe(gpu.pipelines.stats.misses);
    const misses = gpu.pipelines.stats.misses;
    await model.predict(sample(28));
    expect(gpu.pipelines.stats.misses).toBe(misses);

    // Without warmup, only 'ready'.
    const plain: LoadProgress[] = [];
    await engine.load('lenet5', { onProgress: (p) => plain.push(p) });
    expect(plain).toEqual([{ phase: 'ready', done: 1, total: 1 }]);
    engine.dispose();
  }, 120_000);

  it('loadOnnx and engine.load of an ONNX model report the import node by node', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('./fixtures/onnx/residual.onnx', import.meta.url)));
    const events: LoadProgress[] = [];
    const model = await loadOnnx(bytes, { backend: 'cpu', onProgress: (p) => events.push(p) });
    expectWellFormed(events, ['import', 'ready']);
    expect(events.filter((e) => e.phase === 'import').length).toBe(model.onnx.onnxNodes + 1);
    model.dispose();

    const engine = await createEngine({ backend: 'cpu' });
    const warmed: LoadProgress[] = [];
    await engine.load(bytes, { warmup: 1, onProgress: (p) => warmed.push(p) });
    expectWellFormed(warmed, ['import', 'weights', 'compile', 'ready']);
    expect(compiled(warmed)).toBe(0);
    const boom = new Error('stop importing');
    await expect(engine.load(bytes, { onProgress: (p) => { if (p.phase === 'import' && p.done === 2) throw boom; } })).rejects.toBe(boom);
    engine.dispose();
  });
});
