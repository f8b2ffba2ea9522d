/**
 * The backend a command runs on: `--backend auto|webgpu|wasm|reference` (`cpu`: the reference
 * backend's old name) and `--threads` for wasm. 'auto' (the default) is WebGPU on a hardware
 * adapter, else the wasm backend: on a machine without a GPU, or with only a software adapter
 * (SwiftShader), the commands run on WebAssembly.
 */
import { InvalidArgumentError } from 'commander';
import type { Backend, BackendName } from '../backends/backend.js';
import { BACKEND_CHOICES, createBackend, type BackendChoice, type BackendChoiceName } from '../backends/create.js';
import type { WasmBackend } from '../backends/wasm/backend.js';

export interface BackendFlags {
  backend: BackendChoiceName;
  /** wasm: threads to compute with (default: the cores, at most 4). */
  threads?: number;
}

/** Commander's parser for `--backend`. */
export function backendChoice(value: string): BackendChoiceName {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) throw new InvalidArgumentError(`It must be one of ${BACKEND_CHOICES.join(', ')}.`);
  return value as BackendChoiceName;
}

export const BACKEND_HELP = "'auto' (WebGPU on a hardware adapter, else wasm), 'webgpu' (any adapter, software too), 'wasm' (WebAssembly SIMD on the CPU) or 'reference' (plain loops, the test oracle; also 'cpu')";

/** The backend `flags` ask for. */
export function cliBackend(flags: BackendFlags): Promise<BackendChoice> {
  return createBackend({ backend: flags.backend, threads: flags.threads });
}

/** What a report says about the backend: its name, and for wasm its threads (and why fewer, if so). */
export interface BackendReport {
  backend: BackendName;
  threads?: number;
  threadsNote?: string;
}

export function backendReport(b: Backend): BackendReport {
  if (b.name !== 'wasm') return { backend: b.name };
  const w = b as WasmBackend;
  return { backend: 'wasm', threads: w.threads, ...(w.threadsNote ? { threadsNote: w.threadsNote } : {}) };
}

/** `wasm (2 threads)`, `webgpu`, `cpu`. */
export function formatBackend(r: BackendReport): string {
  return r.threads === undefined ? r.backend : `${r.backend} (${r.threads} thread${r.threads === 1 ? '' : 's'})`;
}
