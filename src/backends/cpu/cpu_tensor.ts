/** A tensor whose values live in a Float32Array: the CPU reference backend's tensors. */
import { Tensor, type TensorOwner } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { HostTensor } from './host_tensor.js';

/**
 * The backend that made a CPU tensor (`CpuBackend`), declared here so that this file does not
 * import the backend: what every tensor needs of its backend (`TensorOwner`) and nothing more,
 * since the values are the tensor's own.
 */
export interface CpuTensorOwner extends TensorOwner {
  readonly name: string;
}

export class CpuTensor extends Tensor implements HostTensor {
  readonly backend: CpuTensorOwner;
  #data: Float32Array;

  constructor(backend: CpuTensorOwner, data: Float32Array, shape: Shape) {
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
