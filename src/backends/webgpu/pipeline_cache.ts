/**
 * Shader modules, bind group layouts and compute pipelines, each created once and cached:
 * modules by kernel name, layouts by binding signature, pipelines by `pipelineKey`.
 */
import { type KernelSpec, type BindingKind, pipelineKey } from './program.js';

/**
 * How `compileAll` compiles: 'async' with `createComputePipelineAsync`, all at once (off the
 * main thread in browsers); 'sync' with `createComputePipeline`, one after another.
 */
export type PipelineCompilation = 'sync' | 'async';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * 'sync' in Node, 'async' elsewhere. In Node (Dawn on SwiftShader, 2 busy cores) the time to
 * the first result of ResNet-18 and MobileNetV2 at 64×64 fell from 21–39 s with every pipeline
 * compiled at once by createComputePipelineAsync to 6–19 s one after another with
 * createComputePipeline (scripts/first_result.ts). In Chromium the two measured the same, and
 * the asynchronous calls keep the page responsive while the GPU process compiles.
 */
export const DEFAULT_COMPILATION: PipelineCompilation = isNode ? 'sync' : 'async';

export interface PipelineCacheStats {
  pipelines: number;
  modules: number;
  hits: number;
  misses: number;
}

export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelineLayouts = new Map<string, GPUPipelineLayout>();
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #pending = new Map<string, Promise<GPUComputePipeline>>();
  #hits = 0;
  #misses = 0;
  /** Debug hook: called with the key and WGSL of every pipeline created. */
  onCreate?: (key: string, code: string) => void;

  readonly #compilation: PipelineCompilation;

  constructor(device: GPUDevice, compilation: PipelineCompilation = DEFAULT_COMPILATION) {
    this.#device = device;
    this.#compilation = compilation;
  }

  bindGroupLayout(bindings: readonly BindingKind[]): GPUBindGroupLayout {
    const sig = bindings.join(',');
    let layout = this.#layouts.get(sig);
    if (!layout) {
      layout = this.#device.createBindGroupLayout({
        label: `layout(${sig})`,
        entries: bindings.map((kind, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
        })),
      });
      this.#layouts.set(sig, layout);
    }
    return layout;
  }

  #descriptor(kernel: KernelSpec, overrides: Readonly<Record<string, number>>, key: string): GPUComputePipelineDescriptor {
    let module = this.#modules.get(kernel.name);
    if (!module) {
      module = this.#device.createShaderModule({ label: kernel.name, code: kernel.code });
      this.#modules.set(kernel.name, module);
    }
    const sig = kernel.bindings.join(',');
    let layout = this.#pipelineLayouts.get(sig);
    if (!layout) {
      layout = this.#device.createPipelineLayout({ bindGroupLayouts: [this.bindGroupLayout(kernel.bindings)] });
      this.#pipelineLayouts.set(sig, layout);
    }
    this.onCreate?.(key, kernel.code);
    return { label: key, layout, compute: { module, entryPoint: kernel.entryPoint, constants: { ...overrides } } };
  }

  /** The pipeline for a kernel and its constants, created synchronously on first use. */
  get(kernel: KernelSpec, overrides: Readonly<Record<string, number>>): GPUComputePipeline {
    const key = pipelineKey(kernel, overrides);
    const hit = this.#pipelines.get(key);
    if (hit) {
      this.#hits++;
      return hit;
    }
    this.#misses++;
    const pipeline = this.#device.createComputePipeline(this.#descriptor(kernel, overrides, key));
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  /** The same, compiled with `createComputePipelineAsync` (for warming a plan ahead of its first run). */
  async getAsync(kernel: KernelSpec, overrides: Readonly<Record<string, number>>): Promise<GPUComputePipeline> {
    const key = pipelineKey(kernel, overrides);
    const hit = this.#pipelines.get(key);
    if (hit) {
      this.#hits++;
      return hit;
    }
    let pending = this.#pending.get(key);
    if (!pending) {
      this.#misses++;
      pending = this.#device.createComputePipelineAsync(this.#descriptor(kernel, overrides, key)).then((p) => {
        this.#pipelines.set(key, p);
        this.#pending.delete(key);
        return p;
      });
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /**
   * The pipelines of `calls` (in order), compiling the missing ones first, each distinct one
   * once (sync or async as the cache was made). `onProgress(done, total)` counts the distinct
   * pipelines compiled here, starting at 0 of total; if it throws, compiling stops and the
   * error propagates.
   */
  async compileAll(
    calls: readonly { readonly kernel: KernelSpec; readonly overrides: Readonly<Record<string, number>> }[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<GPUComputePipeline[]> {
    const missing = new Map<string, (typeof calls)[number]>();
    for (const c of calls) {
      const key = pipelineKey(c.kernel, c.overrides);
      if (!this.#pipelines.has(key)) missing.set(key, c);
    }
    const total = missing.size;
    let done = 0;
    let failed = false;
    const step = () => {
      if (failed) return;
      try {
        onProgress?.(++done, total);
      } catch (e) {
        failed = true;
        throw e;
      }
    };
    onProgress?.(0, total);
    if (this.#compilation === 'async') {
      await Promise.all([...missing.values()].map(async (c) => {
        await this.getAsync(c.kernel, c.overrides);
        step();
      }));
    } else {
      for (const c of missing.values()) {
        this.get(c.kernel, c.overrides);
        step();
        // Let timers and I/O run between compilations (each can take a second on SwiftShader).
        if (done < total) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    return calls.map((c) => this.get(c.kernel, c.overrides));
  }

  has(key: string): boolean {
    return this.#pipelines.has(key);
  }

  keys(): string[] {
    return [...this.#pipelines.keys()];
  }

  get stats(): PipelineCacheStats {
    return { pipelines: this.#pipelines.size, modules: this.#modules.size, hits: this.#hits, misses: this.#misses };
  }
}
