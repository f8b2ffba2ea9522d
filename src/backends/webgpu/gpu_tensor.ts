/** A tensor whose values live in a GPU storage buffer. Views (reshape) share the buffer. */
import { Tensor } from '../../tensor.js';
import type { Shape } from '../../shape.js';
import type { Backend } from '../backend.js';

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

/**
 * What a GPU tensor needs of the backend that made it (`WebGpuBackend`), declared here so that
 * this file does not import the backend: its ops, its device and submit (to write a tensor's
 * buffer through the queue after the work already issued), and the release of its storage.
 */
export interface GpuTensorOwner extends Backend {
  readonly device: GPUDevice;
  /** Submits the work issued so far. */
  flush(): void;
  /** Called by `GpuTensor.dispose()`. */
  releaseStorage(storage: GpuStorage): void;
}

export class GpuTensor extends Tensor {
  readonly backend: GpuTensorOwner;
  readonly storage: GpuStorage;

  constructor(backend: GpuTensorOwner, storage: GpuStorage, shape: Shape) {
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
