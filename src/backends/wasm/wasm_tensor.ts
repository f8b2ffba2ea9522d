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

  #view: Float32Array | null = null;

  /**
   * A view of the values. Kept between calls (the reference kernels index it element by
   * element); made again when a growing memory detached it (an ordinary memory's old buffer
   * becomes empty; a shared memory's stays valid).
   */
  get data(): Float32Array {
    this.assertLive('data');
    const v = this.#view;
    if (v !== null && v.length === this.size) return v;
    return (this.#view = this.#block.f32(this.size));
  }

  protected release(): void {
    this.#view = null;
    this.#block.release();
  }
}
