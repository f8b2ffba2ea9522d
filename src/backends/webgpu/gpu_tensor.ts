/** A tensor whose values live in a GPU storage buffer. Views (reshape) share the buffer. */
import { Tensor } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { WebGpuBackend } from './backend.js';

/**
 * A GPU buffer shared by a tensor and its views; freed when the last one is disposed.
 * While an execution plan is being recorded, storages are virtual (`buffer` null): the
 * memory planner gives them a real buffer afterwards.
 */
export class GpuStorage {
  refs = 1;
  constructor(
    public buffer: GPUBuffer | null,
    readonly bytes: number,
    /** The backend's device generation it was made on (see `WebGpuBackend.recover()`). */
    readonly generation = 0,
  ) {}

  get isVirtual(): boolean {
    return this.buffer === null;
  }
}

export class GpuTensor extends Tensor {
  readonly backend: WebGpuBackend;
  readonly storage: GpuStorage;

  constructor(backend: WebGpuBackend, storage: GpuStorage, shape: Shape) {
    super(shape);
    this.backend = backend;
    this.storage = storage;
  }

  get buffer(): GPUBuffer {
    const b = this.storage.buffer;
    if (!b) throw new Error(`tensor ${this.toString()} is a placeholder of a plan being recorded and has no buffer yet`);
    return b;
  }

  protected release(): void {
    this.backend.releaseStorage(this.storage);
  }
}
