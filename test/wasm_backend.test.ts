// The wasm backend as a user meets it: which backend each name gives ('auto' on this machine's
// software adapter gives wasm, saying why), the threads option checked with a typed error, zoo
// models (LeNet-5, ResNet-18 and MobileNetV2 at 32×32) giving the same outputs on 1, 2 and 4
// threads and the reference backend's within tolerance, a model run again allocating no new
// memory, ONNX fixtures equal to PyTorch, and dispose ending the workers.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createBackend, createEngine, createModel, CpuBackend, InvalidArgumentError, readNpy, type Backend, type WasmBackend, type ZooName } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { getGpu } from './helpers/gpu.js';
import { expectClose, scaleTolerance } from './helpers/compare.js';

/** Backends made by this file, disposed at its end (workers are unref'd, but be clean). */
const made: Backend[] = [];
afterAll(() => made.forEach((b) => b.dispose()));

async function wasm(threads?: number): Promise<WasmBackend> {
  const { backend, fallbackReason } = await createBackend({ backend: 'wasm', threads });
  expect(backend.name).toBe('wasm');
  expect(fallbackReason).toBeUndefined();
  made.push(backend);
  return backend as WasmBackend;
}

/** Deterministic inputs in [-1, 1). */
function inputs(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe('choosing the wasm backend', () => {
  it("'auto' gives WebGPU on a hardware adapter and wasm on a software one (here SwiftShader), with the reason", async () => {
    const { isSoftware } = (await getGpu()).ctx.info;
    const { backend, fallbackReason } = await createBackend();
    made.push(backend);
    if (isSoftware) {
      expect(backend.name, fallbackReason).toBe('wasm');
      expect(fallbackReason).toMatch(/the only WebGPU adapter is a software one \(.+\).*ask for backend 'webgpu'/);
    } else {
      expect(backend.name, fallbackReason).toBe('webgpu');
      expect(fallbackReason).toBeUndefined();
    }
  });

  it("'webgpu' by name takes the software adapter; 'reference' and its alias 'cpu' give the oracle; 'wasm' gives wasm", async () => {
    const gpu = await createBackend({ backend: 'webgpu' });
    made.push(gpu.backend);
    expect(gpu.backend.name).toBe('webgpu');
    expect(gpu.fallbackReason).toBeUndefined();
    for (const name of ['reference', 'cpu'] as const) {
      const { backend, fallbackReason } = await createBackend({ backend: name });
      expect(backend).toBeInstanceOf(CpuBackend);
      expect(backend.name).toBe('reference');
      expect(fallbackReason).toBeUndefined();
    }
    const w = await wasm();
    expect(w.threads).toBe(Math.min(4, (await import('node:os')).availableParallelism()));
    // Node can always share memory with workers.
    expect(w.threadsNote).toBeUndefined();
    const engine = await createEngine({ backend: 'wasm', threads: 2 });
    expect(engine.backendName).toBe('wasm');
    expect((engine.backend as WasmBackend).threads).toBe(2);
    engine.dispose();
  });

  it('threads must be an integer from 1 to 64: anything else is an InvalidArgumentError naming the value', async () => {
    for (const threads of [0, -1, 1.5, 65, Number.NaN, '2' as unknown as number]) {
      const made = createBackend({ backend: 'wasm', threads });
      await expect(made, String(threads)).rejects.toThrow(InvalidArgumentError);
      await expect(createBackend({ backend: 'wasm', threads }), String(threads)).rejects.toThrow(`threads must be an integer from 1 to 64, got ${JSON.stringify(threads)}`);
    }
    await expect(createEngine({ backend: 'wasm', threads: 0 })).rejects.toThrow(InvalidArgumentError);
  });
});

describe('zoo models on the wasm backend', () => {
  const MODELS: [ZooName, number][] = [['lenet5', 32], ['resnet18', 32], ['mobilenet_v2', 32]];
  for (const [name, size] of MODELS) {
    it(`${name} at ${size}×${size}, batch 2: 1, 2 and 4 threads give identical outputs, equal to the reference`, async () => {
      const channels = name === 'lenet5' ? 1 : 3;
      const x = inputs(2 * channels * size * size, 7);
      const reference = createModel(name, { inputSize: size, numClasses: name === 'lenet5' ? undefined : 10, seed: 3, backend: new CpuBackend() });
      const want = await reference.predict(x, { batch: 2 });
      reference.dispose();
      let first: Float32Array | undefined;
      for (const threads of [1, 2, 4]) {
        const backend = await wasm(threads);
        expect(backend.threads).toBe(threads);
        const model = createModel(name, { inputSize: size, numClasses: name === 'lenet5' ? undefined : 10, seed: 3, backend });
        const got = await model.predict(x, { batch: 2 });
        model.dispose();
        // float32 against the reference's float64 sums: relative to the output's scale.
        expectClose(got, want, scaleTolerance(want, 1e-4), `${name} on ${threads} thread(s)`);
        // Each value is computed by one thread in the same order whatever the thread count.
        if (first) expect(got, `${name}: ${threads} threads against 1`).toEqual(first);
        else first = got;
      }
    }, 300_000);
  }

  it("a model run 20 times reuses its memory: the backend's memoryBytes does not grow after the first run", async () => {
    const backend = await wasm(2);
    const model = createModel('resnet18', { inputSize: 32, numClasses: 10, seed: 1, backend });
    const x = inputs(3 * 32 * 32, 11);
    const first = await model.predict(x);
    const after = backend.memoryBytes;
    for (let i = 0; i < 20; i++) expect(await model.predict(x)).toEqual(first);
    expect(backend.memoryBytes, 'bytes of wasm memory after 20 more runs').toBe(after);
    model.dispose();
  }, 300_000);
});

describe('ONNX models on the wasm backend', () => {
  const dir = new URL('./fixtures/onnx/', import.meta.url);
  const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
  for (const name of ['residual', 'mobile_block', 'grouped']) {
    it(`${name}.onnx by backend name 'wasm' equals PyTorch`, async () => {
      const x = readNpy(read(`${name}.input.npy`));
      const y = readNpy(read(`${name}.output.npy`));
      const model = await loadOnnx(read(`${name}.onnx`), { backend: 'wasm', label: `${name}.onnx` });
      try {
        expect((await model.backend()).name).toBe('wasm');
        expectClose(await model.predict(x.data as Float32Array), y.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `${name} (wasm)`, y.shape);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('disposing the wasm backend', () => {
  /** Threads of this process (Linux: one entry per thread in /proc/self/task). */
  const threadCount = () => readdirSync('/proc/self/task').length;

  it('dispose ends its workers', async () => {
    const { backend } = await createBackend({ backend: 'wasm', threads: 4 });
    const x = backend.tensor(inputs(64 * 33, 5), [64, 33]);
    const w = backend.tensor(inputs(17 * 33, 6), [17, 33]);
    await backend.dense(x, w, undefined).read();
    const alive = threadCount();
    backend.dispose();
    // A terminated worker's thread exits soon after; 3 workers (4 threads) must go.
    for (let i = 0; i < 200 && threadCount() > alive - 3; i++) await new Promise((r) => setTimeout(r, 25));
    expect(threadCount(), `threads: ${alive} before dispose`).toBeLessThanOrEqual(alive - 3);
  });
});
