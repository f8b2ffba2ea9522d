/** A tensor of the wasm backend: its values live in the backend's WebAssembly memory. */
import { Tensor, type TensorOwner } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { HostTensor } from '../cpu/host_tensor.js';
import type { Block } from './arena.js';

export class WasmTensor extends Tensor implements HostTensor {
  readonly backend: TensorOwner;
  readonly #block: Block;
  #view: Float32Array | null = null;
  #viewGrows = -1;

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

  /**
   * A view of the values, made again only when the memory has grown since the last (which
   * detaches an unshared memory's views): the reference kernels read `data[i]` in their loops.
   */
  get data(): Float32Array {
    this.assertLive('data');
    const grows = this.#block.arena.grows;
    if (this.#view === null || this.#viewGrows !== grows) {
      this.#view = this.#block.f32(this.size);
      this.#viewGrows = grows;
    }
    return this.#view;
  }

  protected release(): void {
    this.#view = null;
    this.#block.release();
  }
}
