/**
 * The CPU's `Executable`: the computation run eagerly, op by op, on fresh tensors for each
 * run; intermediates are freed as the computation disposes them and the rest after the run.
 * Nothing runs at compile time (a training step updates weights in place), so the output
 * shapes and the memory figures are known from the first run on. Profiling times each scope
 * (layer) on the host clock.
 */
import { averageTimings, profileOf, profileRuns } from '../profile.js';
import type { DispatchTiming, Executable, ExecutableMemory, PlanProfile, ProfileOptions } from '../backend.js';
import type { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf } from '../../shape.js';
import { DisposedError, ShapeError } from '../../errors.js';

/**
 * What a CPU executable uses of the backend that compiled it (`CpuBackend`), declared here so
 * that this file does not import the backend: making the input tensors, counting what the
 * first run allocates, and timing each scope of a profiled run.
 */
export interface CpuExecutableHost {
  tensor(data: Float32Array, shape: Shape): Tensor;
  /** Runs `fn` and counts the bytes and tensors the ops allocate meanwhile. */
  counting<T>(fn: () => T): { result: T; allocated: { bytes: number; tensors: number } };
  /** Runs `fn` with every `scope` timed into `into`. */
  timing<T>(into: { scope: string; ms: number }[], fn: () => Promise<T>): Promise<T>;
}

export class CpuExecutable implements Executable {
  /** Known from the first run (empty before). */
  outputShapes: readonly Shape[] = [];
  /** What one run allocates, from the first run (zeros before): the CPU plans no memory. */
  memory: ExecutableMemory = { peakBytes: 0, naiveBytes: 0, savedBytes: 0, buffers: 0 };
  #ran = false;
  #disposed = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly backend: CpuExecutableHost,
    readonly label: string,
    readonly inputShapes: readonly Shape[],
    readonly build: (inputs: Tensor[]) => readonly Tensor[],
  ) {}

  run(inputs: readonly Float32Array[], options: { read?: boolean } = {}): Promise<Float32Array[]> {
    const result = this.#queue.then(() => this.#run(inputs, options.read ?? true));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #run(inputs: readonly Float32Array[], read: boolean): Promise<Float32Array[]> {
    if (this.#disposed) throw new DisposedError(`${this.label}: the executable was disposed`);
    if (inputs.length !== this.inputShapes.length) throw new ShapeError(this.label, `expects ${this.inputShapes.length} inputs, got ${inputs.length}`);
    inputs.forEach((x, i) => {
      const want = sizeOf(this.inputShapes[i]);
      if (!(x instanceof Float32Array) || x.length !== want) {
        throw new ShapeError(this.label, `input ${i} must be a Float32Array of ${want} values for shape ${fmtShape(this.inputShapes[i])}, got ${x instanceof Float32Array ? `${x.length} values` : typeof x}`);
      }
    });
    const ts = inputs.map((x, i) => this.backend.tensor(x, this.inputShapes[i]));
    let outs: readonly Tensor[] = [];
    try {
      if (this.#ran) outs = this.build(ts);
      else {
        const { result, allocated } = this.backend.counting(() => this.build(ts));
        outs = result;
        this.outputShapes = outs.map((t) => t.shape);
        this.memory = { peakBytes: allocated.bytes, naiveBytes: allocated.bytes, savedBytes: 0, buffers: allocated.tensors };
        this.#ran = true;
      }
      return read ? await Promise.all(outs.map((o) => o.read())) : [];
    } finally {
      for (const t of [...outs, ...ts]) t.dispose();
    }
  }

  /** Times every layer on the host clock, averaged over `options.runs` runs (default 1). */
  async profile(inputs: readonly Float32Array[], options: ProfileOptions = {}): Promise<PlanProfile> {
    const runs = profileRuns(options, false);
    const all: DispatchTiming[][] = [];
    while (all.length < runs) {
      const scopes: { scope: string; ms: number }[] = [];
      await this.backend.timing(scopes, () => this.run(inputs, { read: false }));
      all.push(scopes.map((d) => ({ ...d, kernel: d.scope })));
    }
    return profileOf(averageTimings(all), 'cpu', runs);
  }

  dispose(): void {
    this.#disposed = true;
  }
}
