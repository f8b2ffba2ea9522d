// Every way of loading a model, 100 load → run → dispose cycles, leaves no GPU device (or wasm
// worker) behind: models made without a backend share one default backend ('auto': WebGPU on a
// hardware adapter, else wasm), disposed (device or workers and all) with the last of them; an
// engine's models go with the engine. Also: backend options are checked where
// they are given, with a typed error, and engine.load tells a zoo name, ONNX bytes, a Blob, a
// path and a Model apart.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Model, Sequential, createBackend, createEngine, createModel, layers, liveDeviceCount, InvalidArgumentError, CpuBackend, DisposedError, type Backend } from 'webcnn';
import { loadOnnx, OnnxModel } from 'webcnn/onnx';
import { getGpu } from './helpers/gpu.js';

const CYCLES = 100;
const fixture = new URL('./fixtures/onnx/shuffle.onnx', import.meta.url);
const onnxBytes = new Uint8Array(readFileSync(fixture));
const shuffleInput = new Float32Array(6 * 5 * 7).map((_, i) => Math.sin(i));

/** Devices are counted until their `lost` promise settles, a macrotask after destroy(). */
async function settledDeviceCount(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  return liveDeviceCount();
}

/** Devices the default backend holds: 1 where 'auto' picks WebGPU, 0 where it picks wasm (a software adapter, or none). */
let autoDevices: number | undefined;
async function devicesOfAuto(): Promise<number> {
  if (autoDevices === undefined) {
    const { backend } = await createBackend();
    autoDevices = backend.name === 'webgpu' ? 1 : 0;
    backend.dispose();
  }
  return autoDevices;
}

/** A probe tensor on a CPU-side backend; `expectDisposed` then checks the backend was disposed with its last model. */
function probe(backend: Backend): () => void {
  if (backend.name === 'webgpu') return () => undefined; // counted as a device instead
  const t = backend.tensor([1], [1]);
  return () => expect(() => backend.activation(t, 'relu'), `the ${backend.name} backend outlived its last model`).toThrow(DisposedError);
}

function tiny(backend?: 'auto'): Sequential {
  return new Sequential({ inputShape: [4], name: 'tiny', ...(backend ? { backend } : {}) }).add(layers.dense({ units: 3, activation: 'relu' }), 'fc');
}

describe('load/dispose cycles leave no device behind', () => {
  // Each cycle loads, acquires the model's backend (a device: a model without a backend takes
  // a share of the default one on first use) and disposes. Every 25th cycle also runs the model,
  // compiling its pipelines on that cycle's device: compiling on every cycle would take minutes
  // on a software adapter and tests nothing more.
  const ways: [string, (run: boolean) => Promise<{ dispose: () => void; backend: Backend; devices: number }>][] = [
    ['loadOnnx(bytes) without a backend', async (run) => {
      const m = await loadOnnx(onnxBytes);
      if (run) await m.predict(shuffleInput);
      return { dispose: () => m.dispose(), backend: await m.backend(), devices: await devicesOfAuto() };
    }],
    ["new Sequential(…, { backend: 'auto' })", async (run) => {
      const m = tiny('auto');
      if (run) await m.predict(new Float32Array(4));
      return { dispose: () => m.dispose(), backend: await m.backend(), devices: await devicesOfAuto() };
    }],
    ['createModel(name) without a backend', async (run) => {
      const m = createModel('lenet5');
      if (run) await m.predict(new Float32Array(32 * 32));
      return { dispose: () => m.dispose(), backend: await m.backend(), devices: await devicesOfAuto() };
    }],
    ["createEngine({ backend: 'webgpu' }) + engine.load(onnx bytes)", async (run) => {
      const engine = await createEngine({ backend: 'webgpu' });
      const m = await engine.load(onnxBytes);
      if (run) await m.predict(shuffleInput);
      return { dispose: () => engine.dispose(), backend: engine.backend, devices: 1 };
    }],
  ];
  for (const [way, load] of ways) {
    it(`${way}: ${CYCLES} cycles`, async () => {
      await getGpu(); // the suite's own device, so that the baseline counts it
      const before = await settledDeviceCount();
      for (let i = 0; i < CYCLES; i++) {
        const { dispose, backend, devices } = await load(i % 25 === 0);
        expect(liveDeviceCount(), `cycle ${i}: the loaded model holds ${devices} device(s) (${backend.name})`).toBe(before + devices);
        const expectDisposed = probe(backend);
        dispose();
        expectDisposed();
      }
      expect(await settledDeviceCount()).toBe(before);
    }, 600_000);
  }

  it('models made without a backend share one backend (a device, or wasm workers) while any of them is alive', async () => {
    const before = await settledDeviceCount();
    const devices = await devicesOfAuto();
    const a = tiny();
    const b = tiny('auto');
    await a.predict(new Float32Array(4));
    await b.predict(new Float32Array(4));
    const shared = await a.backend();
    expect(await b.backend()).toBe(shared);
    expect(shared.name).toBe(devices === 1 ? 'webgpu' : 'wasm');
    expect(await settledDeviceCount()).toBe(before + devices);
    const expectDisposed = probe(shared);
    a.dispose();
    expect(await settledDeviceCount(), 'b still holds it').toBe(before + devices);
    await b.predict(new Float32Array(4));
    b.dispose();
    expect(await settledDeviceCount()).toBe(before);
    expectDisposed();
  }, 120_000);
});

describe('backend options and engine.load sources', () => {
  it('a backend given by an unknown name or a non-backend object is refused at the call, naming the choices', async () => {
    await expect(createEngine({ backend: 'gpu' as 'webgpu' })).rejects.toThrow(InvalidArgumentError);
    await expect(createEngine({ backend: 'gpu' as 'webgpu' })).rejects.toThrow("createEngine: backend must be one of 'auto', 'webgpu', 'wasm', 'reference', 'cpu', got 'gpu'");
    await expect(loadOnnx(onnxBytes, { backend: 'cuda' as 'cpu' })).rejects.toThrow("backend must be one of 'auto', 'webgpu', 'wasm', 'reference', 'cpu' or a Backend");
    expect(() => tiny().constructor).not.toThrow();
    expect(() => new Sequential({ inputShape: [4], backend: {} as CpuBackend })).toThrow('got an object that is not a Backend');
  });

  it("backend: 'cpu' by name runs on the CPU reference, with no device", async () => {
    const before = await settledDeviceCount();
    const m = await loadOnnx(onnxBytes, { backend: 'cpu' });
    expect((await m.backend()).name).toBe('reference');
    await m.predict(shuffleInput);
    expect(await settledDeviceCount()).toBe(before);
    m.dispose();
  });

  it('engine.load tells a zoo name, ONNX bytes, an ArrayBuffer, a Blob, a path, a file: URL and a Model apart', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    try {
      const zoo = await engine.load('lenet');
      expect(zoo.name).toBe('lenet');
      const want = await (await engine.load(onnxBytes)).predict(shuffleInput);
      const sources = [onnxBytes.slice().buffer, new Blob([onnxBytes]), fileURLToPath(fixture), fixture];
      for (const source of sources) {
        const m = await engine.load(source);
        expect(m).toBeInstanceOf(OnnxModel);
        expect(await m.predict(shuffleInput)).toEqual(want);
      }
      const own = tiny();
      expect(await engine.load(own)).toBe(own);
      expect((await own.backend()).name).toBe('reference');
      await expect(engine.load('resnet99')).rejects.toThrow("'resnet99' is neither a zoo model (lenet5, ");
      await expect(engine.load(42 as unknown as string)).rejects.toThrow('load takes a zoo model name, an ONNX model (bytes, Blob/File, URL or path) or a Model: got number');
    } finally {
      engine.dispose();
    }
    expect(() => new Model({ name: 'g', inputs: [], outputs: [], nodes: [] })).toBeDefined();
  });
});
