/** A tensor whose values live in a Float32Array: the CPU reference backend's tensors. */
import { Tensor } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { CpuBackend } from './backend.js';

/** What the CPU reference kernels take and return: values and a shape, nothing else. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: Shape;
}

export class CpuTensor extends Tensor implements HostTensor {
  readonly backend: CpuBackend;
  #data: Float32Array;

  constructor(backend: CpuBackend, data: Float32Array, shape: Shape) {
    super(shape);
    this.backend = backend;
    this.#data = data;
  }

  get data(): Float32Array {
    this.assertLive('data');
    return this.#data;
  }

  protected release(): void {
    this.#data = new Float32Array(0);
  }
}
