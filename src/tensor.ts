/**
 * Tensors: float32, row-major, NCHW for images. A tensor belongs to the backend that made it;
 * its data lives on that backend (a GPU buffer, or a Float32Array for the CPU reference).
 */
import { DisposedError } from './errors.js';
import { type Shape, fmtShape, sizeOf } from './shape.js';

/**
 * What a tensor needs of the backend that made it: its name and reading values back. Backends
 * implement it (`Backend` extends it); naming this rather than `Backend` keeps the tensor free of
 * the backend interface, which names tensors in turn.
 */
export interface TensorOwner {
  readonly name: string;
  read(t: Tensor): Promise<Float32Array>;
}

export abstract class Tensor {
  /** Dimensions, outermost first: `[N, C, H, W]` for images. */
  readonly shape: Shape;
  /** Number of elements. */
  readonly size: number;
  /** The backend that made it (a `Backend`: compare with `===`, or use the backend's own ops on it). */
  abstract readonly backend: TensorOwner;
  #disposed = false;

  protected constructor(shape: Shape) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Copies the values back to the CPU (for a GPU tensor: staging buffer, map, copy). */
  read(): Promise<Float32Array> {
    this.assertLive('read');
    return this.backend.read(this);
  }

  /** Frees the tensor's storage. A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }

  /** Throws a `DisposedError` naming `op` if this tensor was disposed. */
  assertLive(op: string): void {
    if (this.#disposed) throw new DisposedError(`${op}: tensor ${fmtShape(this.shape)} was used after dispose()`);
  }

  protected abstract release(): void;

  toString(): string {
    return `Tensor(${this.backend.name}, ${fmtShape(this.shape)})`;
  }
}
