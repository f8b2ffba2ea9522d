/**
 * The wasm backend's threads. With `nt` threads, the calling thread is thread 0 and `nt − 1`
 * workers (Web Workers in a browser, worker_threads in Node) each instantiate the same kernel
 * module on the same shared memory. A kernel call writes its index, argument pointer and thread
 * count into a control block in that memory, bumps a generation counter and wakes the workers;
 * each share, `kernel(args, tid, nt)`, is claimed by its worker or, when that worker has not
 * started it by the time the caller finished its own, by the caller; the caller then waits
 * (spinning: a browser's main thread may not block) for the shares under way. So a descheduled
 * worker delays nothing, and results stay those of the fixed shares. Workers spin a little
 * before they sleep, so the back-to-back calls of a forward pass do not pay a wake-up each.
 */
import { WebCnnError } from '../../errors.js';
import type { KernelFn } from './module.js';

/** Word offsets in the control block. */
const GEN = 0;
const PENDING = 1;
const KERNEL = 2;
const ARGS = 3;
const NT = 4;
const QUIT = 5;
/** CLAIM + t: 0 while share t of the current call is free; whoever sets it (its worker, or the caller) runs it. */
const CLAIM = 16;
const MAX_THREADS = 64;
/** Words of the control block. */
export const CONTROL_WORDS = CLAIM + MAX_THREADS;

/** A stuck worker (it trapped or was killed) fails the call instead of hanging it. */
const STUCK_MS = 30_000;

/**
 * The worker's source: plain JavaScript for a browser Worker (a module of its own, from a Blob)
 * and for Node (worker_threads with `eval`). It receives the module, the memory, the control
 * block's address, its thread index and the kernel names, then serves calls until told to quit.
 */
const WORKER_SOURCE = `
const SPIN = 200000;
function serve(d, post) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const fns = d.names.map((n) => inst.exports[n]);
  const c = new Int32Array(d.memory.buffer, d.control, ${CONTROL_WORDS});
  let seen = Atomics.load(c, ${GEN});
  post('ready');
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, ${GEN}) === seen) {
      if (++spins > SPIN) Atomics.wait(c, ${GEN}, seen);
    }
    seen = Atomics.load(c, ${GEN});
    if (Atomics.load(c, ${QUIT}) !== 0) return;
    // Claim this thread's share before reading the call: if the caller already ran it (this
    // worker was late), the claim fails; if a newer call began meanwhile, the claim and what
    // is read after it both belong to that call.
    if (Atomics.compareExchange(c, ${CLAIM} + d.tid, 0, 1) === 0) {
      const nt = Atomics.load(c, ${NT});
      fns[Atomics.load(c, ${KERNEL})](Atomics.load(c, ${ARGS}), d.tid, nt);
      if (Atomics.sub(c, ${PENDING}, 1) === 1) Atomics.notify(c, ${PENDING});
    }
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (d) => serve(d, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => serve(e.data, (m) => self.postMessage(m));
}
`;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** A worker, whichever platform made it. */
interface AnyWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

async function spawn(): Promise<{ worker: AnyWorker; ready: Promise<void> }> {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  if (!isNode) {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = () => resolve();
    worker.onerror = (e) => reject(new WebCnnError(`wasm backend: a worker failed to start (${e.message})`));
    return { worker, ready };
  }
  // Hidden from bundlers: browser builds never pull in node:worker_threads.
  const name = 'node:worker_threads';
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ name)) as typeof import('node:worker_threads');
  const worker = new NodeWorker(WORKER_SOURCE, { eval: true });
  worker.unref();
  worker.once('message', () => resolve());
  worker.once('error', (e) => reject(new WebCnnError(`wasm backend: a worker failed (${e.message})`)));
  return { worker, ready };
}

export class ThreadPool {
  readonly #workers: AnyWorker[];
  readonly #control: Int32Array;
  #broken: string | null = null;

  private constructor(
    readonly threads: number,
    workers: AnyWorker[],
    control: Int32Array,
  ) {
    this.#workers = workers;
    this.#control = control;
  }

  /** A pool of `threads` threads (the caller and threads − 1 workers) over `memory`. */
  static async create(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, controlPtr: number, names: readonly string[]): Promise<ThreadPool> {
    const control = new Int32Array(memory.buffer, controlPtr, CONTROL_WORDS);
    control.fill(0);
    control.fill(1, CLAIM, CLAIM + MAX_THREADS); // nothing to claim before the first call
    const spawned = await Promise.all(Array.from({ length: threads - 1 }, () => spawn()));
    spawned.forEach(({ worker }, i) => worker.postMessage({ module, memory, control: controlPtr, tid: i + 1, names }));
    try {
      await Promise.all(spawned.map((s) => s.ready));
    } catch (e) {
      for (const { worker } of spawned) void worker.terminate();
      throw e;
    }
    return new ThreadPool(threads, spawned.map((s) => s.worker), control);
  }

  /** Runs `fn` (kernel `index` of the workers' list) on `nt` ≤ threads threads; returns when all are done. */
  run(index: number, fn: KernelFn, args: number, nt: number): void {
    if (this.#broken) throw new WebCnnError(`wasm backend: ${this.#broken}`);
    if (nt <= 1 || this.threads <= 1) {
      fn(args, 0, 1);
      return;
    }
    const c = this.#control;
    Atomics.store(c, KERNEL, index);
    Atomics.store(c, ARGS, args);
    Atomics.store(c, NT, nt);
    Atomics.store(c, PENDING, nt - 1);
    // Shares 1 … nt−1 open for claiming (the rest, and the caller's own, closed).
    for (let t = 1; t < this.threads; t++) Atomics.store(c, CLAIM + t, t < nt ? 0 : 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    try {
      fn(args, 0, nt);
      // Shares whose worker has not started yet (descheduled on a busy machine, or still waking):
      // run them here rather than wait. The same share index gives the same result.
      for (let t = 1; t < nt; t++) {
        if (Atomics.compareExchange(c, CLAIM + t, 0, 2) === 0) {
          fn(args, t, nt);
          Atomics.sub(c, PENDING, 1);
        }
      }
    } catch (e) {
      // The workers may still be running this call: the control block can no longer be trusted.
      this.#broken = `a kernel failed (${e instanceof Error ? e.message : String(e)}); the backend is unusable`;
      throw e;
    }
    let spins = 0;
    let since = 0;
    while (Atomics.load(c, PENDING) !== 0) {
      if ((++spins & 0xffff) === 0) {
        const now = performance.now();
        if (since === 0) since = now;
        else if (now - since > STUCK_MS) {
          this.#broken = `a worker did not finish its share of a kernel within ${STUCK_MS / 1000} s; the backend is unusable`;
          throw new WebCnnError(`wasm backend: ${this.#broken}`);
        }
      }
    }
  }

  dispose(): void {
    if (this.#workers.length === 0) return;
    Atomics.store(this.#control, QUIT, 1);
    Atomics.add(this.#control, GEN, 1);
    Atomics.notify(this.#control, GEN);
    for (const w of this.#workers) void w.terminate();
    this.#workers.length = 0;
  }
}
