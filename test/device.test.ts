// The device layer and the backend infrastructure, through the public entry: adapter info,
// limits and features; lowered limits refused with a sentence; the pipeline cache and its
// keys; disposed tensors, mixed backends and lost devices as typed errors; memory accounting.
// Tests that make their own device create and destroy it outside the shared backend's error
// scopes (scopes are per device) and collect that device's uncaptured errors themselves.
import { describe, it, expect } from 'vitest';
import {
  acquireDevice,
  createBackend,
  pipelineKey,
  fmtShape,
  CpuBackend,
  WebGpuBackend,
  OPTIONAL_FEATURES,
  LimitExceededError,
  DisposedError,
  BackendMismatchError,
  DeviceLostError,
  type GpuError,
  type KernelSpec,
} from 'webcnn';
import { gpuIt, cpu, inErrorScopes } from './helpers/gpu.js';

/** A backend on its own device; `errors` collects that device's uncaptured errors. */
async function ownBackend(options: Parameters<typeof WebGpuBackend.create>[0] = {}): Promise<{ be: WebGpuBackend; errors: string[] }> {
  const errors: string[] = [];
  const be = await WebGpuBackend.create({ ...options, onUncapturedError: (e: GpuError) => errors.push(e.message) });
  return { be, errors };
}

describe('acquireDevice', () => {
  it('reports the adapter, the limits in force and the features', async () => {
    const ctx = await acquireDevice();
    try {
      const { info } = ctx;
      for (const field of ['vendor', 'architecture', 'device', 'description'] as const) expect(typeof info[field]).toBe('string');
      expect(`${info.vendor}${info.architecture}${info.description}`.length, 'some adapter info').toBeGreaterThan(0);
      const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
      expect(info.isSoftware).toBe(/swiftshader|warp|lavapipe|llvmpipe|software/.test(text));
      expect(['browser', 'node-dawn', 'node-dawn-swiftshader']).toContain(ctx.runtime);

      expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      expect(ctx.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
      // Raised to what the adapter offers, not left at the WebGPU defaults.
      expect(ctx.limits.maxStorageBufferBindingSize).toBe(ctx.adapter.limits.maxStorageBufferBindingSize);
      expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.adapter.limits.maxStorageBufferBindingSize);

      expect(ctx.features).toBeInstanceOf(Set);
      for (const f of OPTIONAL_FEATURES) expect(ctx.features.has(f), f).toBe(ctx.adapter.features.has(f));
    } finally {
      ctx.device.destroy();
    }
    expect((await ctx.lost).reason).toBe('destroyed');
  });

  it('lowers limits and skips features on request, never raises', async () => {
    const ctx = await acquireDevice({
      limitOverrides: { maxStorageBufferBindingSize: 4096, maxComputeWorkgroupsPerDimension: 1e12 },
      disableFeatures: ['timestamp-query'],
    });
    try {
      expect(ctx.limits.maxStorageBufferBindingSize).toBe(4096);
      // An override above the device's limit is ignored.
      expect(ctx.limits.maxComputeWorkgroupsPerDimension).toBe(ctx.device.limits.maxComputeWorkgroupsPerDimension);
      // Limits not in the overridable set read through to the device.
      expect(ctx.limits.maxBindGroups).toBe(ctx.device.limits.maxBindGroups);
      expect(ctx.features.has('timestamp-query')).toBe(false);
    } finally {
      ctx.device.destroy();
    }
  });
});

describe('limits', () => {
  it('a backend with a lowered maxStorageBufferBindingSize refuses a bigger tensor in words', async () => {
    const { be, errors } = await ownBackend({ limitOverrides: { maxStorageBufferBindingSize: 4096 } });
    try {
      expect(be.limits.maxStorageBufferBindingSize).toBe(4096);
      await inErrorScopes(be, async () => {
        // 1024 floats = 4096 bytes: exactly at the limit, allowed.
        const ok = be.tensor(new Float32Array(1024).fill(2), [4, 256]);
        expect(Array.from((await ok.read()).slice(0, 3))).toEqual([2, 2, 2]);
        const before = be.memoryInfo();
        let err: unknown;
        try {
          be.tensor(new Float32Array(2 * 1025), [2, 1025]);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(LimitExceededError);
        const msg = (err as Error).message;
        expect(msg).toContain(fmtShape([2, 1025]));
        expect(msg).toContain('8200 bytes');
        expect(msg).toContain('maxStorageBufferBindingSize (4096 bytes)');
        // An op's output is checked the same way.
        expect(() => be.concat([ok, ok], 0)).toThrow(/concat: tensor \[8,256\] needs 8192 bytes, more than .*maxStorageBufferBindingSize \(4096 bytes\)/);
        expect(be.memoryInfo(), 'nothing allocated by the refused requests').toEqual(before);
        ok.dispose();
      });
    } finally {
      be.dispose();
    }
    expect(errors).toEqual([]);
  });
});

describe('pipeline cache', () => {
  gpuIt('running the same op twice creates its pipeline once', async (gpu) => {
    const x = gpu.tensor([-1, 0.5, 2, -3], [4]);
    // An activation constant no other test in this file uses: a pipeline not yet in the cache.
    const act = { type: 'leakyRelu', alpha: 0.125 } as const;
    const s0 = gpu.pipelines.stats;
    const y1 = gpu.activation(x, act);
    const s1 = gpu.pipelines.stats;
    expect(s1.misses - s0.misses, 'first run compiles').toBe(1);
    expect(s1.pipelines - s0.pipelines).toBe(1);
    const y2 = gpu.activation(x, act);
    const s2 = gpu.pipelines.stats;
    expect(s2.misses, 'second run compiles nothing').toBe(s1.misses);
    expect(s2.hits - s1.hits, 'second run is a cache hit').toBe(1);
    expect(s2.pipelines).toBe(s1.pipelines);
    expect(gpu.memoryInfo().pipelines).toBe(s2.pipelines);
    // The same kernel with another constant is another pipeline.
    const y3 = gpu.activation(x, { type: 'leakyRelu', alpha: 0.25 });
    expect(gpu.pipelines.stats.misses - s2.misses).toBe(1);
    expect(gpu.pipelines.keys().filter((k) => k.includes('ACT_A=0.125'))).toHaveLength(1);
    expect(Array.from(await y2.read())).toEqual([-0.125, 0.5, 2, -0.375]);
    expect(Array.from(await y3.read())).toEqual([-0.25, 0.5, 2, -0.75]);
    for (const t of [x, y1, y2, y3]) t.dispose();
  });

  gpuIt('debug.dumpWgsl sees each new pipeline once; a backend on a borrowed context leaves the device alone', async (gpu) => {
    const dumped: [string, string][] = [];
    const be = await WebGpuBackend.create({ context: gpu.ctx, debug: { dumpWgsl: (key, code) => dumped.push([key, code]) } });
    const x = be.tensor([-2, 3], [2]);
    const y1 = be.activation(x, 'relu');
    const y2 = be.activation(x, 'relu');
    expect(dumped).toHaveLength(1);
    expect(dumped[0][0]).toMatch(/^unary:main\{.*ACT=1.*\}$/);
    expect(dumped[0][1]).toContain('fn activate(');
    expect(Array.from(await y2.read())).toEqual([0, 3]);
    for (const t of [x, y1, y2]) t.dispose();
    be.dispose();
    // The shared device is still usable.
    const z = gpu.tensor([1], [1]);
    expect(Array.from(await z.read())).toEqual([1]);
    z.dispose();
  });

  it('pipelineKey names the kernel, the entry point and every override constant, in a fixed order', () => {
    const kernel: KernelSpec = { name: 'k', code: '', entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };
    const key = pipelineKey(kernel, { WG: 64, ACT: 2, ACT_A: 0.5 });
    expect(key).toBe('k:main{ACT=2,ACT_A=0.5,WG=64}');
    expect(pipelineKey(kernel, { ACT_A: 0.5, WG: 64, ACT: 2 }), 'insertion order does not matter').toBe(key);
    expect(pipelineKey(kernel, { WG: 64, ACT: 2, ACT_A: 0.25 })).not.toBe(key);
    expect(pipelineKey(kernel, { WG: 64, ACT: 2 })).not.toBe(key);
    expect(pipelineKey({ ...kernel, entryPoint: 'other' }, { WG: 64, ACT: 2, ACT_A: 0.5 })).not.toBe(key);
  });
});

describe('typed errors for misuse', () => {
  gpuIt('a disposed tensor used in an op throws DisposedError', async (gpu) => {
    const x = gpu.tensor([1, 2, 3], [3]);
    x.dispose();
    expect(x.disposed).toBe(true);
    expect(() => gpu.activation(x, 'relu')).toThrow(DisposedError);
    expect(() => gpu.activation(x, 'relu')).toThrow('activation: tensor [3] was used after dispose()');
    expect(() => x.read()).toThrow(DisposedError);
    x.dispose(); // a second dispose is harmless
  });

  gpuIt('a CPU tensor in a GPU op throws BackendMismatchError', async (gpu) => {
    const g = gpu.tensor([1, 2, 3], [3]);
    const c = cpu.tensor([1, 2, 3], [3]);
    expect(() => gpu.add(g, c)).toThrow(BackendMismatchError);
    expect(() => gpu.add(g, c)).toThrow('add: b Tensor(reference, [3]) belongs to another backend');
    expect(() => cpu.add(c, g)).toThrow(BackendMismatchError);
    g.dispose();
  });

  it('createBackend({ backend: "cpu" }) gives the CPU reference', async () => {
    const choice = await createBackend({ backend: 'cpu' });
    expect(choice.backend).toBeInstanceOf(CpuBackend);
    expect(choice.backend.name).toBe('reference');
    expect(choice.fallbackReason).toBeUndefined();
    const y = choice.backend.activation(choice.backend.tensor([-1, 1], [2]), 'relu');
    expect(Array.from(await y.read())).toEqual([0, 1]);
  });

  it('after device.destroy() the next op throws DeviceLostError', async () => {
    const { be, errors } = await ownBackend();
    const x = be.tensor([-1, 1], [2]);
    expect(Array.from(await be.activation(x, 'relu').read())).toEqual([0, 1]);
    be.device.destroy();
    const info = await be.ctx.lost;
    expect(info.reason).toBe('destroyed');
    expect(() => be.activation(x, 'relu')).toThrow(DeviceLostError);
    expect(() => be.activation(x, 'relu')).toThrow(/activation: the GPU device was lost \(destroyed/);
    expect(() => be.tensor([1], [1])).toThrow(DeviceLostError);
    try {
      be.activation(x, 'relu');
    } catch (e) {
      expect((e as DeviceLostError).reason).toBe('destroyed');
    }
    be.dispose();
    expect(() => be.tensor([1], [1])).toThrow(DisposedError);
    expect(errors).toEqual([]);
  });
});

describe('memory accounting', () => {
  gpuIt('memoryInfo counts buffers and bytes up on creation and back down on dispose', async (gpu) => {
    const m0 = gpu.memoryInfo();
    const a = gpu.tensor(new Float32Array(15), [3, 5]);
    const m1 = gpu.memoryInfo();
    expect(m1.buffers).toBe(m0.buffers + 1);
    expect(m1.bytes - m0.bytes).toBeGreaterThanOrEqual(15 * 4);
    const b = gpu.activation(a, 'relu');
    const m2 = gpu.memoryInfo();
    expect(m2.buffers).toBe(m0.buffers + 2);
    expect(m2.bytes - m1.bytes).toBe(m1.bytes - m0.bytes);
    const big = gpu.zeros([4, 256]);
    expect(gpu.memoryInfo().bytes - m2.bytes).toBeGreaterThanOrEqual(4096);
    // A view shares its buffer: no new buffer, and the buffer lives until the last handle goes.
    const v = gpu.reshape(b, [15]);
    expect(gpu.memoryInfo().buffers).toBe(m0.buffers + 3);
    big.dispose();
    expect(gpu.memoryInfo()).toEqual(m2);
    b.dispose();
    expect(gpu.memoryInfo()).toEqual(m2);
    v.dispose();
    expect(gpu.memoryInfo().buffers).toBe(m1.buffers);
    expect(gpu.memoryInfo().bytes).toBe(m1.bytes);
    a.dispose();
    a.dispose();
    expect(gpu.memoryInfo().buffers).toBe(m0.buffers);
    expect(gpu.memoryInfo().bytes).toBe(m0.bytes);
  });
});
