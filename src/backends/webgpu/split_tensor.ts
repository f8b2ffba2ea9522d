/**
 * Tensors larger than one storage binding (`maxStorageBufferBindingSize`, 128 MiB on many
 * adapters): held as blocks of whole rows along axis 0, each its own buffer, so that a large
 * parameter (AlexNet's 151 MB classifier weight, VGG-16's 411 MB one) can live on such a
 * device. Only the ops that know how to run block by block take one (dense and conv2d by
 * output rows or channels, their backward, the optimizers, read and write: split_ops.ts);
 * any other op refuses it in words.
 */
import { Tensor } from '../../tensor.js';
import { type Shape, sizeOf } from '../../shape.js';
import type { GpuTensor, GpuTensorOwner } from './gpu_tensor.js';

export class SplitTensor extends Tensor {
  readonly backend: GpuTensorOwner;
  /** The blocks, in row order: part i holds rows [starts[i], starts[i] + parts[i].shape[0]). */
  readonly parts: readonly GpuTensor[];

  constructor(backend: GpuTensorOwner, parts: readonly GpuTensor[], shape: Shape) {
    super(shape);
    this.backend = backend;
    this.parts = parts;
  }

  /** The first row of each part. */
  get starts(): number[] {
    const out: number[] = [];
    let at = 0;
    for (const p of this.parts) {
      out.push(at);
      at += p.shape[0];
    }
    return out;
  }

  protected release(): void {
    for (const p of this.parts) p.dispose();
  }
}

/**
 * Rows per block when a tensor of `shape` is split so each block fits `maxBytes`, balanced
 * (the blocks differ by at most one row); null when it fits whole or cannot be split (rank
 * below 2, or one row alone is over the limit).
 */
export function rowBlocks(shape: Shape, maxBytes: number): number[] | null {
  if (sizeOf(shape) * 4 <= maxBytes || shape.length < 2) return null;
  const rows = shape[0];
  const rowBytes = sizeOf(shape.slice(1)) * 4;
  const perBlock = Math.floor(maxBytes / rowBytes);
  if (perBlock < 1) return null;
  const blocks = Math.ceil(rows / perBlock);
  const base = Math.floor(rows / blocks);
  return Array.from({ length: blocks }, (_, i) => base + (i < rows % blocks ? 1 : 0));
}
