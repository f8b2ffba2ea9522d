/** Picking a backend: WebGPU when an adapter exists, else the CPU reference, with the reason. */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/backend.js';
import { InvalidArgumentError, WebCnnError } from '../errors.js';

export interface CreateBackendOptions extends WebGpuBackendOptions {
  /** 'auto' (default) tries WebGPU and falls back to the CPU; 'webgpu' throws if unavailable. */
  backend?: 'auto' | 'webgpu' | 'cpu';
}

export interface BackendChoice {
  backend: Backend;
  /** Why the CPU backend was chosen, when it was. */
  fallbackReason?: string;
}

/** The backends one can ask for by name. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'cpu'] as const;
export type BackendChoiceName = (typeof BACKEND_CHOICES)[number];

/** `value` as a backend name, or an InvalidArgumentError naming the option and the allowed values. */
export function checkBackendName(value: unknown, where: string): BackendChoiceName {
  if (value === undefined) return 'auto';
  if (typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoiceName;
  throw new InvalidArgumentError(where, `backend must be one of ${BACKEND_CHOICES.map((b) => `'${b}'`).join(', ')}${where === 'createEngine' ? '' : ' or a Backend'}, got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
}

export async function createBackend(options: CreateBackendOptions = {}): Promise<BackendChoice> {
  const want = checkBackendName(options.backend, 'createBackend');
  if (want === 'cpu') return { backend: new CpuBackend() };
  try {
    return { backend: await WebGpuBackend.create(options) };
  } catch (e) {
    if (want === 'webgpu' || !(e instanceof WebCnnError)) throw e;
    return { backend: new CpuBackend(), fallbackReason: e.message };
  }
}

/**
 * The backend of models made without one (`loadOnnx(url)`, `new Model(…)`, `createModel(name)`):
 * one backend shared by all of them, made when the first needs it and disposed, device and all,
 * when the last of them is disposed. So no way of loading a model can leave a device behind.
 */
let shared: { choice: Promise<BackendChoice>; users: number } | null = null;

/** Takes a share of the default backend ('auto': WebGPU, else the CPU); `release` gives it back. */
export async function acquireSharedBackend(): Promise<{ backend: Backend; fallbackReason?: string; release: () => void }> {
  const entry = (shared ??= { choice: createBackend(), users: 0 });
  entry.users++;
  let choice: BackendChoice;
  try {
    choice = await entry.choice;
  } catch (e) {
    if (shared === entry) shared = null;
    throw e;
  }
  let released = false;
  return {
    backend: choice.backend,
    fallbackReason: choice.fallbackReason,
    release: () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      if (shared === entry) shared = null;
      choice.backend.dispose();
    },
  };
}
