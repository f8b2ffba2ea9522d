/** A tensor of the wasm backend: its values live in the backend's WebAssembly memory. */
import { Tensor, type TensorOwner } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { HostTensor } from '../cpu/host_tensor.js';
import type { Block } from './arena.js';

export class WasmTensor extends Tensor implements HostTensor {
  readonly backend: TensorOwner;
  readonly #block: Block;
  /**
   * The last view handed out. It stays valid until the memory grows: then a non-shared memory's
   * old buffer is detached (the view's length drops to 0), while a shared memory's old buffer
   * still covers every address it did.
   */
  #view: Float32Array | undefined;

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
   * A view of the values, made again only when the old one was detached by a growing memory
   * (the reference kernels read `data[i]` in their inner loops).
   */
  get data(): Float32Array {
    this.assertLive('data');
    const v = this.#view;
    if (v !== undefined && v.length === this.size) return v;
    return (this.#view = this.#block.f32(this.size));
  }

  protected release(): void {
    this.#block.release();
  }
}
