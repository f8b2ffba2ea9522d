/**
 * Picking a backend: WebGPU on a hardware adapter, else the wasm CPU engine, with the reason.
 * A software adapter (SwiftShader, WARP, lavapipe) counts as no GPU unless WebGPU is asked for
 * by name: the wasm backend is faster on the same CPU. The reference backend (the test oracle)
 * runs only when asked for, or when the wasm kernels cannot be loaded.
 */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/backend.js';
import { InvalidArgumentError, WebCnnError } from '../errors.js';
import { checkThreads } from './wasm/threads_option.js';

export interface CreateBackendOptions extends WebGpuBackendOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter, else 'wasm'. 'webgpu' throws if there is no
   * adapter (a software one is used); 'wasm' is the CPU engine (WebAssembly SIMD, threads);
   * 'reference' (also 'cpu') the plain-loop oracle the tests check every kernel against.
   */
  backend?: BackendChoiceName;
  /** Threads for the wasm backend (default: the machine's cores, at most 4; 1 without cross-origin isolation). */
  threads?: number;
}

export interface BackendChoice {
  backend: Backend;
  /** Why a CPU backend was chosen, when 'auto' chose one. */
  fallbackReason?: string;
}

/** The backends one can ask for by name. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'reference', 'cpu'] as const;
export type BackendChoiceName = (typeof BACKEND_CHOICES)[number];

/** `value` as a backend name, or an InvalidArgumentError naming the option and the allowed values. */
export function checkBackendName(value: unknown, where: string): BackendChoiceName {
  if (value === undefined) return 'auto';
  if (typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoiceName;
  throw new InvalidArgumentError(where, `backend must be one of ${BACKEND_CHOICES.map((b) => `'${b}'`).join(', ')}${where === 'createEngine' ? '' : ' or a Backend'}, got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
}

async function createWasm(threads: number | undefined): Promise<Backend> {
  const { WasmBackend } = await import('./wasm/backend.js');
  return WasmBackend.create({ threads });
}

/** The wasm backend, or the reference one when its kernels cannot be loaded, saying why 'auto' picked it. */
async function cpuFallback(why: string, threads: number | undefined): Promise<BackendChoice> {
  try {
    return { backend: await createWasm(threads), fallbackReason: why };
  } catch (e) {
    if (!(e instanceof WebCnnError)) throw e;
    return { backend: new CpuBackend(), fallbackReason: `${why}; ${e.message}, so the reference backend runs` };
  }
}

export async function createBackend(options: CreateBackendOptions = {}): Promise<BackendChoice> {
  const want = checkBackendName(options.backend, 'createBackend');
  const { backend: _name, threads, ...gpuOptions } = options;
  checkThreads(threads, 'createBackend');
  if (want === 'cpu' || want === 'reference') return { backend: new CpuBackend() };
  if (want === 'wasm') return { backend: await createWasm(threads) };
  let gpu: WebGpuBackend;
  try {
    gpu = await WebGpuBackend.create(gpuOptions);
  } catch (e) {
    if (want === 'webgpu' || !(e instanceof WebCnnError)) throw e;
    return cpuFallback(e.message, threads);
  }
  const info = gpu.ctx.info;
  // A device the caller made and passed is a request for WebGPU, software or not.
  if (want === 'webgpu' || gpuOptions.context !== undefined || !info.isSoftware) return { backend: gpu };
  const what = info.description || info.architecture || info.vendor || 'a software rasterizer';
  gpu.dispose();
  return cpuFallback(`the only WebGPU adapter is a software one (${what}), slower than the wasm backend on the same CPU; ask for backend 'webgpu' to use it anyway`, threads);
}

/**
 * The backend of models made without one (`loadOnnx(url)`, `new Model(…)`, `createModel(name)`):
 * one backend shared by all of them, made when the first needs it and disposed, device and all,
 * when the last of them is disposed. So no way of loading a model can leave a device behind.
 */
const sharedByName = new Map<BackendChoiceName, { choice: Promise<BackendChoice>; users: number }>();

/** Takes a share of the default backend of `name` ('auto': WebGPU, else wasm); `release` gives it back. */
export async function acquireSharedBackend(name: BackendChoiceName = 'auto'): Promise<{ backend: Backend; fallbackReason?: string; release: () => void }> {
  let entry = sharedByName.get(name);
  if (!entry) sharedByName.set(name, (entry = { choice: createBackend({ backend: name }), users: 0 }));
  const mine = entry;
  mine.users++;
  let choice: BackendChoice;
  try {
    choice = await mine.choice;
  } catch (e) {
    if (sharedByName.get(name) === mine) sharedByName.delete(name);
    throw e;
  }
  let released = false;
  return {
    backend: choice.backend,
    fallbackReason: choice.fallbackReason,
    release: () => {
      if (released) return;
      released = true;
      if (--mine.users > 0) return;
      if (sharedByName.get(name) === mine) sharedByName.delete(name);
      choice.backend.dispose();
    },
  };
}
