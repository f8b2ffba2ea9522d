/**
 * The `onProgress` plumbing of loading and warming up: reports phases to a user callback and
 * stops for good when the operation settles or the callback throws, so a pipeline that finishes
 * compiling after a failure never calls back into user code.
 */
import type { LoadProgress, LoadProgressOptions, ProgressCallback, WarmupOptions } from './options.js';
import { InvalidArgumentError } from '../errors.js';

export class ProgressReporter {
  #callback: ProgressCallback | undefined;
  /** What the callback threw, if it did: the caller's own error, passed on as it is. */
  thrown: unknown = undefined;

  constructor(callback: ProgressCallback | undefined) {
    this.#callback = callback;
  }

  /** Calls the callback (if any and not closed). A throw closes the reporter and propagates. */
  report(phase: LoadProgress['phase'], done: number, total: number): void {
    const cb = this.#callback;
    if (!cb) return;
    try {
      cb({ phase, done, total });
    } catch (e) {
      this.#callback = undefined;
      this.thrown = e;
      throw e;
    }
  }

  /** The 'compile' phase as a backend's `CompileOptions.onProgress`. */
  get compile(): ((done: number, total: number) => void) | undefined {
    return this.#callback ? (done, total) => this.report('compile', done, total) : undefined;
  }

  close(): void {
    this.#callback = undefined;
  }

  /** Runs `fn` with a reporter for `callback`, closed when `fn` settles (`op` names a bad callback). */
  static async around<T>(op: string, callback: ProgressCallback | undefined, fn: (progress: ProgressReporter) => Promise<T>): Promise<T> {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new InvalidArgumentError(op, `onProgress must be a function, got ${callback === null ? 'null' : typeof callback}`);
    }
    const progress = new ProgressReporter(callback);
    try {
      return await fn(progress);
    } finally {
      progress.close();
    }
  }
}

/** What `finishLoad` needs of a model. */
interface Warmable {
  warmup(options: WarmupOptions): Promise<void>;
  dispose(): void;
}

/**
 * The end of a load: `model.warmup` when `warmup` asks for it (its phases passed on, 'ready'
 * last), else 'ready'. If warming up fails the model is disposed and the error propagates.
 */
export async function finishLoad<M extends Warmable>(model: M, warmup: LoadProgressOptions['warmup'], progress: ProgressReporter): Promise<M> {
  if (warmup === undefined || warmup === false) {
    progress.report('ready', 1, 1);
    return model;
  }
  const opts = warmup === true ? {} : typeof warmup === 'number' ? { batch: warmup } : warmup;
  try {
    await model.warmup({ ...opts, onProgress: (p) => progress.report(p.phase, p.done, p.total) });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
