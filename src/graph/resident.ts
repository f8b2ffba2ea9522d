/**
 * A model resident on a backend: its inference weights uploaded there (the lowering's folded
 * ones included) and its executables, one per binding of the symbolic dimensions, for one
 * epoch of the backend's resources. When the epoch changes (a lost GPU device was replaced)
 * the model makes a new one from its host copy of the weights.
 */
import type { Backend, Executable } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { Lowered } from './lower.js';

export class Resident {
  readonly weights = new Map<string, Tensor>();
  readonly epoch: number | null;
  /** By `bindingsKey`. */
  readonly #executables = new Map<string, Promise<Executable>>();
  /** Executables already made, so `dispose()` can free them at once (pending ones are freed when made). */
  readonly #ready = new Set<Executable>();

  /** How many parameter tensors the constructor uploads for `lowered`. */
  static uploads(lowered: Lowered): number {
    return new Set(lowered.nodes.flatMap((n) => n.params)).size;
  }

  /** Uploads the parameters the lowered graph reads: folded ones from the lowering, the rest from `weights`. */
  constructor(
    readonly backend: Backend,
    readonly lowered: Lowered,
    weights: ReadonlyMap<string, Float32Array>,
    shapes: ReadonlyMap<string, Shape>,
  ) {
    this.epoch = backend.epoch;
    for (const key of new Set(lowered.nodes.flatMap((n) => n.params))) {
      const values = lowered.derived.get(key) ?? weights.get(key)!;
      const shape = lowered.derivedShapes.get(key) ?? shapes.get(key)!;
      this.weights.set(key, backend.tensor(values, shape));
    }
  }

  /** Whether it is still the model's state on `backend` (same backend, same epoch). */
  isCurrent(backend: Backend): boolean {
    return this.backend === backend && this.epoch === backend.epoch;
  }

  /** The executable under `key`, made by `make` once. A failed one is forgotten, so a later call tries again. */
  executable(key: string, make: () => Promise<Executable>): Promise<Executable> {
    let got = this.#executables.get(key);
    if (!got) {
      got = make();
      this.#executables.set(key, got);
      got.then(
        (made) => void this.#ready.add(made),
        () => this.#executables.delete(key),
      );
    }
    return got;
  }

  dispose(): void {
    for (const e of this.#ready) e.dispose();
    for (const p of this.#executables.values()) void p.then((e) => e.dispose(), () => undefined);
    for (const t of this.weights.values()) t.dispose();
  }
}
