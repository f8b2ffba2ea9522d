// The WebGPU backend's parts, through the public entry: one kernel call gives the same result
// from the eager dispatch sink and from a plan's recording; the bind-group builder refuses a
// call whose buffers or uniforms do not match the kernel, eagerly and in a plan, leaving no
// buffer behind; zeros() are zeros eagerly and in plans; both ways of profiling a plan replay
// its dispatches under the layer labels they were issued with.
import { describe, it, expect } from 'vitest';
import { ExecutionPlan, WebGpuBackend, packUniforms, type GpuError, type KernelSpec, type KernelCall, type Tensor } from 'webcnn';
import { gpuIt, inErrorScopes, counts } from './helpers/gpu.js';
import { Rng } from './helpers/random.js';

/** y[i] = x[i] · scale: one uniform block, one read binding, one write binding. */
const SCALE: KernelSpec = {
  name: 'test_scale',
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'write'],
  code: /* wgsl */ `
    struct Params { n: u32, scale: f32 }
    @group(0) @binding(0) var<uniform> p: Params;
    @group(0) @binding(1) var<storage, read> x: array<f32>;
    @group(0) @binding(2) var<storage, read_write> y: array<f32>;
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id: vec3u) {
      if (id.x < p.n) { y[id.x] = x[id.x] * p.scale; }
    }`,
};

function scaleCall(n: number, scale: number): KernelCall {
  return { kernel: SCALE, overrides: {}, uniforms: packUniforms([['u32', n], ['f32', scale]]), workgroups: [Math.ceil(n / 64), 1, 1], label: 'scale' };
}

/** y = x · scale through `run`, as a kernel function would. */
function scale(be: WebGpuBackend, x: Tensor, factor: number): Tensor {
  const g = be.own(x, 'scale');
  const y = be.empty(g.shape, 'scale');
  be.run(scaleCall(g.size, factor), [g, y]);
  return y;
}

const rng = new Rng(5);

describe('dispatch sinks and the bind-group builder', () => {
  gpuIt('a kernel call gives the same values run eagerly and replayed from a plan', async (gpu) => {
    const n = 150;
    const data = rng.uniform(n, -3, 3);
    const x = gpu.tensor(data, [n]);
    const eager = scale(gpu, x, 2.5);
    const want = Array.from(data, (v) => Math.fround(v * 2.5));
    expect(Array.from(await eager.read())).toEqual(want);
    const plan = await ExecutionPlan.create(gpu, [[n]], ([input]) => scale(gpu, input, 2.5));
    const [planned] = await plan.run([data]);
    expect(Array.from(planned)).toEqual(want);
    plan.dispose();
    eager.dispose();
    x.dispose();
  });

  gpuIt('a call with too few buffers or no uniforms is refused eagerly and in a plan, and frees what it made', async (gpu) => {
    const x = gpu.upload([1, 2, 3, 4], [4]);
    const before = gpu.memoryInfo();
    const submits = gpu.submitCount;
    expect(() => gpu.run(scaleCall(4, 2), [x])).toThrow('test_scale: 1 buffers given, 2 bindings');
    const noUniforms: KernelCall = { ...scaleCall(4, 2), uniforms: undefined };
    const y = gpu.empty([4]);
    expect(() => gpu.run(noUniforms, [x, y])).toThrow('test_scale: kernel declares a uniform binding but the call has no uniforms');
    y.dispose();
    // In a plan the count is checked as the call is recorded, the uniforms when the bind groups are made.
    const tooFew = ExecutionPlan.create(gpu, [[4]], ([input]) => {
      gpu.run(scaleCall(4, 2), [gpu.own(input, 'test')]);
      return input;
    });
    await expect(tooFew).rejects.toThrow('test_scale: 1 buffers given, 2 bindings');
    await expect(
      ExecutionPlan.create(gpu, [[4]], ([input]) => {
        const out = gpu.empty([4]);
        gpu.run(noUniforms, [gpu.own(input, 'test'), out]);
        return out;
      }),
    ).rejects.toThrow('kernel declares a uniform binding but the call has no uniforms');
    expect(gpu.memoryInfo().buffers).toBe(before.buffers);
    expect(gpu.memoryInfo().bytes).toBe(before.bytes);
    expect(gpu.submitCount).toBe(submits);
    x.dispose();
  });

  gpuIt('zeros() are zeros eagerly, are counted while live and freed on dispose', async (gpu) => {
    const before = gpu.memoryInfo();
    const z = gpu.zeros([3, 5]);
    expect(gpu.memoryInfo().buffers).toBe(before.buffers + 1);
    expect(Array.from(await z.read())).toEqual(new Array(15).fill(0));
    z.dispose();
    expect(gpu.memoryInfo()).toEqual(before);
  });
});

describe('ExecutionPlan.profile', () => {
  /** Two labelled layers, the second accumulating into zeros(): 3 dispatches. */
  async function labelledPlan(be: WebGpuBackend): Promise<ExecutionPlan> {
    return ExecutionPlan.create(be, [[64]], ([x]) => {
      const y = be.withLabel('first', () => scale(be, x, 3));
      return be.withLabel('second', () => {
        const acc = be.zeros([64]);
        be.accumulate(acc, y);
        be.accumulate(acc, x);
        return acc;
      });
    });
  }

  async function check(be: WebGpuBackend, source: 'timestamp-query' | 'cpu'): Promise<void> {
    const plan = await labelledPlan(be);
    const x = rng.uniform(64, -1, 1);
    const prof = await plan.profile([x]);
    expect(prof.source).toBe(source);
    expect(prof.dispatches.map((d) => d.scope)).toEqual(['first', 'second', 'second']);
    expect(prof.dispatches.map((d) => d.kernel)[0]).toBe('test_scale');
    expect(prof.layers.map((l) => [l.name, l.dispatches])).toEqual([['first', 1], ['second', 2]]);
    for (const d of prof.dispatches) expect(d.ms).toBeGreaterThanOrEqual(0);
    // The plan still gives its results after being profiled (its zeros are cleared every run).
    const [acc] = await plan.run([x]);
    expect(Array.from(acc)).toEqual(Array.from(x, (v) => Math.fround(Math.fround(v * 3) + v)));
    plan.dispose();
  }

  gpuIt('times every dispatch under its layer on the shared device', async (gpu) => {
    await check(gpu, gpu.ctx.features.has('timestamp-query') ? 'timestamp-query' : 'cpu');
  });

  it('without timestamp-query, by submitting each dispatch alone', async () => {
    counts.gpuTests++;
    const errors: string[] = [];
    const be = await WebGpuBackend.create({ disableFeatures: ['timestamp-query'], onUncapturedError: (e: GpuError) => errors.push(e.message) });
    try {
      await inErrorScopes(be, () => check(be, 'cpu'));
    } finally {
      be.dispose();
    }
    expect(errors).toEqual([]);
  });
});
