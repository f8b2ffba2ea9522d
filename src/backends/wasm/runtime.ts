/**
 * What the wasm kernels run on: the memory and its allocator, the kernel exports, the thread
 * pool, and the control/argument block through which a call passes its arguments.
 */
import { Arena } from './arena.js';
import { WebCnnError } from '../../errors.js';
import { kernelExports, kernelModule, type KernelFn, type KernelName } from './module.js';
import { ThreadPool, CONTROL_WORDS } from './threads.js';

/** Where the control block and the arguments live: inside the first 64 KiB, which the arena never hands out. */
const CONTROL_PTR = 32768;
const ARGS_PTR = CONTROL_PTR + CONTROL_WORDS * 4;
const ARGS_WORDS = 64;

/** One kernel argument: an i32 (sizes, pointers, codes) or an f32 (constants). */
export type Arg = number | { f32: number };

export class WasmRuntime {
  readonly #fns: Map<KernelName, KernelFn>;
  readonly #index: Map<KernelName, number>;
  #disposed = false;

  private constructor(
    readonly arena: Arena,
    readonly pool: ThreadPool | null,
    fns: Map<KernelName, KernelFn>,
  ) {
    this.#fns = fns;
    this.#index = new Map([...fns.keys()].map((n, i) => [n, i]));
  }

  /** Loads the kernels and starts `threads − 1` workers (none for 1). */
  static async create(threads: number): Promise<WasmRuntime> {
    const shared = threads > 1;
    const module = await kernelModule(shared);
    const arena = new Arena(shared);
    const instance = await WebAssembly.instantiate(module, { env: { memory: arena.memory } });
    const fns = kernelExports(instance);
    const pool = shared ? await ThreadPool.create(threads, module, arena.memory, CONTROL_PTR, [...fns.keys()]) : null;
    return new WasmRuntime(arena, pool, fns);
  }

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * Runs kernel `name` with `args` on up to `nt` threads (default: all; a kernel with little work
   * asks for fewer, since waking a worker costs microseconds).
   */
  /** Views of the argument block, made again only when the memory grew (which detaches an unshared memory's). */
  #argViews: { buffer: ArrayBufferLike; i32: Int32Array; f32: Float32Array } | null = null;

  call(name: KernelName, args: readonly Arg[], nt = this.threads): void {
    const buffer = this.arena.memory.buffer;
    if (this.#argViews?.buffer !== buffer) {
      this.#argViews = { buffer, i32: new Int32Array(buffer, ARGS_PTR, ARGS_WORDS), f32: new Float32Array(buffer, ARGS_PTR, ARGS_WORDS) };
    }
    const { i32, f32 } = this.#argViews;
    args.forEach((a, i) => {
      if (typeof a === 'number') i32[i] = a;
      else f32[i] = a.f32;
    });
    const fn = this.#fns.get(name);
    if (!fn) throw new WebCnnError(`wasm backend: the kernel module has no kernel '${name}'; rebuild it (npm run build:wasm)`);
    if (this.pool) this.pool.run(this.#index.get(name)!, fn, ARGS_PTR, Math.max(1, Math.min(nt, this.threads)));
    else fn(ARGS_PTR, 0, 1);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.pool?.dispose();
  }
}
