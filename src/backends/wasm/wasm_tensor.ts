/** A tensor of the wasm backend: its values live in the backend's WebAssembly memory. */
import { Tensor, type TensorOwner } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { HostTensor } from '../cpu/host_tensor.js';
import type { Block } from './arena.js';

export class WasmTensor extends Tensor implements HostTensor {
  readonly backend: TensorOwner;
  readonly #block: Block;

  /** Takes over one reference to `block`. */
  constructor(backend: TensorOwner, block: Block, shape: Shape) {
    super(shape);
    this.backend = backend;
    this.#block = block;
  }

  /** Its address in the backend's memory. */
  get ptr(): number {
    this.assertLive('ptr');
    return this.#block.ptr;
  }

  get block(): Block {
    this.assertLive('block');
    return this.#block;
  }

  /** A view of the values (a fresh one each time: the memory may have grown since the last). */
  get data(): Float32Array {
    this.assertLive('data');
    return this.#block.f32(this.size);
  }

  protected release(): void {
    this.#block.release();
  }
}
