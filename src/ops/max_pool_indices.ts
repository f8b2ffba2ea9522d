/**
 * maxPoolIndices: where each max of a max pooling came from, as ONNX's MaxPool returns it in
 * its second output (Indices). The index is flat over the whole (N, C, H, W) input:
 * plane·H·W + row·W + column (storage order 0, row-major), or plane·H·W + row + column·H
 * (storage order 1, column-major within the plane), where plane = n·C + c. The window is the
 * max pooling's (pool2d's geometry: kernel, stride, padding, dilation, ceil mode); of equal
 * values the first in the window's row-major order wins, and a NaN wins over any number (the
 * max itself is NaN then). Padded cells are never chosen.
 *
 * Indices are float32 values, as every tensor here: exact up to 2^24, so larger inputs are refused.
 */
import { ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../shape.js';
import { defineOp } from './op.js';
import type { Pool2dLayer } from './pool.js';
import { type Pool2dParams, inferPool2d } from './pool.js';
import { definePrimitive } from './primitive.js';

/** Largest input whose flat indices float32 holds exactly. */
export const MAX_EXACT_INDEX = 2 ** 24;

export interface MaxPoolIndicesAttrs {
  /** The max pooling's window (its `type` is 'max'). */
  readonly window: Pool2dParams;
  /** Storage order 1: the index within a plane is row + column·H. */
  readonly columnMajor: boolean;
}

export const MAX_POOL_INDICES = definePrimitive<MaxPoolIndicesAttrs>({
  name: 'maxPoolIndices',
  infer([x], { window }) {
    if (!x) throw new ShapeError('maxPoolIndices', 'takes one input, got none');
    if (sizeOf(x) > MAX_EXACT_INDEX) {
      throw new ShapeError('maxPoolIndices', `input ${fmtShape(x)} has ${sizeOf(x)} elements; indices above 2^24 are not exact in float32`, window.name);
    }
    return inferPool2d(x, { ...window, type: 'max' }).outShape;
  },
});

/** The flat input index of each max of a max pooling with this window (see the file's comment). No gradient. */
export interface MaxPoolIndicesLayer extends Omit<Pool2dLayer, 'type' | 'pool' | 'countIncludePad'> {
  type: 'maxPoolIndices';
  /** ONNX's storage_order 1: column-major within each plane (default false). */
  columnMajor?: boolean;
}

export const maxPoolIndicesOp = defineOp<MaxPoolIndicesLayer>({
  type: 'maxPoolIndices',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) =>
    b.prim(MAX_POOL_INDICES, [x], {
      window: { type: 'max', kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.padding, ceilMode: layer.ceilMode, dilation: layer.dilation, name },
      columnMajor: layer.columnMajor ?? false,
    }),
  flops: (layer, _inputs, output) => {
    const [kh, kw] = typeof layer.kernelSize === 'number' ? [layer.kernelSize, layer.kernelSize] : layer.kernelSize;
    return sizeOf(output) * kh * kw;
  },
});
