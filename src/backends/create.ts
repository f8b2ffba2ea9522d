/** Picking a backend: WebGPU when an adapter exists, else the CPU reference, with the reason. */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/backend.js';
import { WebCnnError } from '../errors.js';

export interface CreateBackendOptions extends WebGpuBackendOptions {
  /** 'auto' (default) tries WebGPU and falls back to the CPU; 'webgpu' throws if unavailable. */
  backend?: 'auto' | 'webgpu' | 'cpu';
}

export interface BackendChoice {
  backend: Backend;
  /** Why the CPU backend was chosen, when it was. */
  fallbackReason?: string;
}

export async function createBackend(options: CreateBackendOptions = {}): Promise<BackendChoice> {
  const want = options.backend ?? 'auto';
  if (want === 'cpu') return { backend: new CpuBackend() };
  try {
    return { backend: await WebGpuBackend.create(options) };
  } catch (e) {
    if (want === 'webgpu' || !(e instanceof WebCnnError)) throw e;
    return { backend: new CpuBackend(), fallbackReason: e.message };
  }
}
