/** A tensor whose values live in a GPU storage buffer. Views (reshape) share the buffer. */
import { Tensor } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { WebGpuBackend } from './backend.js';

/** A GPU buffer shared by a tensor and its views; freed when the last one is disposed. */
export class GpuStorage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
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
    return this.storage.buffer;
  }

  protected release(): void {
    this.backend.releaseStorage(this.storage);
  }
}
