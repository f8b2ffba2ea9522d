/**
 * The real-WebGPU test harness. One WebGPU backend per test file (Dawn in Node; SwiftShader on
 * machines without a GPU). Every GPU test runs inside validation, out-of-memory and internal
 * error scopes that must come back empty, and no uncaptured error may occur. A missing
 * adapter fails the test: tests never skip the GPU.
 */
import { it, expect } from 'vitest';
import { WebGpuBackend, CpuBackend, GpuError, type Backend, type Tensor, type Shape, type TrainingBackend, type WebGpuBackendOptions } from 'webcnn';
import { expectClose, type Tolerance } from './compare.js';

let backend: Promise<WebGpuBackend> | null = null;

/** Per-file counts, summed over the run by test/helpers/global-setup.ts. */
export const counts = { gpuTests: 0, comparisons: 0 };
const uncaptured: string[] = [];

/** The file's shared WebGPU backend (created on first use). */
export function getGpu(): Promise<WebGpuBackend> {
  backend ??= WebGpuBackend.create({ onUncapturedError: (e: GpuError) => uncaptured.push(e.message) });
  return backend;
}

export const cpu = new CpuBackend();

/** Runs `fn` on the GPU inside error scopes; fails on any WebGPU error. */
export async function inErrorScopes<T>(gpu: WebGpuBackend, fn: () => Promise<T>): Promise<T> {
  const device = gpu.device;
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    await gpu.sync().catch(() => undefined);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const internal = await device.popErrorScope();
    for (const [kind, err] of [['validation', validation], ['out-of-memory', oom], ['internal', internal]] as const) {
      if (err) expect.fail(`WebGPU ${kind} error: ${err.message}`);
    }
    if (uncaptured.length > 0) expect.fail(`uncaptured WebGPU errors:\n${uncaptured.splice(0).join('\n')}`);
  }
  return result;
}


/**
 * Runs `fn` on a fresh WebGPU backend made with `options` (limit overrides, say), inside
 * validation error scopes; fails if the device reported an uncaptured error; disposes it.
 */
export async function withBackend(options: WebGpuBackendOptions, fn: (be: WebGpuBackend) => Promise<void>): Promise<void> {
  counts.gpuTests++;
  const errors: string[] = [];
  const be = await WebGpuBackend.create({ ...options, onUncapturedError: (e: GpuError) => errors.push(e.message) });
  try {
    await inErrorScopes(be, () => fn(be));
  } finally {
    be.dispose();
  }
  expect(errors).toEqual([]);
}

/** A test that runs on the real WebGPU device inside empty-must-stay error scopes. */
export function gpuIt(name: string, fn: (gpu: WebGpuBackend) => Promise<void>, timeout?: number): void {
  it(name, onGpu(fn), timeout);
}

/**
 * A GPU test known to fail today (vitest's `it.fails`): it passes while `fn` fails, and fails
 * the suite as soon as `fn` passes, so that the list of known failures has to be kept true.
 */
gpuIt.fails = (name: string, fn: (gpu: WebGpuBackend) => Promise<void>, timeout?: number): void => {
  it.fails(name, onGpu(fn), timeout);
};

function onGpu(fn: (gpu: WebGpuBackend) => Promise<void>): () => Promise<void> {
  return async () => {
    counts.gpuTests++;
    const gpu = await getGpu();
    await inErrorScopes(gpu, () => fn(gpu));
  };
}

/** Creates tensors on one backend and remembers them for disposal. */
export type MakeTensor = (data: Float32Array | readonly number[], shape: Shape) => Tensor;

/**
 * Runs the same op on the CPU reference and on the GPU with the same inputs, and compares:
 * same shape, every value within `atol + rtol·|ref|`. Disposes everything it created.
 * Returns the reference output for further checks.
 */
export async function compareWithCpu(
  gpu: WebGpuBackend,
  build: (b: Backend, t: MakeTensor) => Tensor,
  tol: Tolerance,
  label = '',
): Promise<{ shape: Shape; ref: Float32Array; got: Float32Array }> {
  const run = async (b: Backend) => {
    const made: Tensor[] = [];
    const t: MakeTensor = (data, shape) => {
      const x = b.tensor(data, shape);
      made.push(x);
      return x;
    };
    const out = build(b, t);
    try {
      return { shape: out.shape, data: await out.read() };
    } finally {
      out.dispose();
      for (const x of made) x.dispose();
    }
  };
  counts.comparisons++;
  const ref = await run(cpu);
  const got = await run(gpu);
  expect(got.shape, `${label} output shape`).toEqual(ref.shape);
  expectClose(got.data, ref.data, tol, label, ref.shape);
  return { shape: ref.shape, ref: ref.data, got: got.data };
}

/**
 * Expects `call` to throw `type` with `message` on the CPU reference and on the GPU, and the
 * GPU to allocate nothing beyond the operands `t()` made and to submit nothing: bad input is
 * refused before any GPU work.
 */
export async function expectBothRefuse(
  call: (b: TrainingBackend, t: (shape: number[]) => Tensor) => unknown,
  type: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<void> {
  const gpu = await getGpu();
  for (const be of [cpu, gpu] as TrainingBackend[]) {
    const made: Tensor[] = [];
    const t = (shape: number[]): Tensor => {
      const x = be.zeros(shape);
      made.push(x);
      return x;
    };
    const buffersBefore = gpu.memoryInfo().buffers;
    const submitsBefore = gpu.submitCount;
    let thrown: unknown;
    try {
      call(be, t);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${be.name} should throw`).toBeInstanceOf(type);
    expect(() => {
      throw thrown;
    }).toThrow(message);
    expect(gpu.memoryInfo().buffers).toBe(buffersBefore + (be === gpu ? made.length : 0));
    expect(gpu.submitCount).toBe(submitsBefore);
    for (const x of made) x.dispose();
  }
}
