/**
 * Gradient plumbing (sumTo, slice, accumulate): shape inference, and the checks in-place ops
 * share (`checkSameShape`, `checkNoAlias`). Pure functions shared by the CPU reference
 * (src/backends/cpu/tensor_ops.ts) and the WebGPU kernels (src/backends/webgpu/kernels/tensor_ops.ts),
 * run before any GPU work. (Concatenation's shape inference: src/ops/normalization.ts.)
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf, shapesEqual, stridesOf, assertValidShape } from '../shape.js';

/** sumTo's geometry: x's strides and the output/reduced decompositions, all aligned to x's rank. */
export interface SumToGeometry {
  outShape: number[];
  /** x's rank (the target shape is right-aligned and padded with 1s to it). */
  rank: number;
  /** The target shape padded to x's rank: x's dimension where kept, 1 where reduced. */
  keptShape: number[];
  /** x's dimension where reduced, 1 where kept. */
  reducedShape: number[];
  /** Row-major strides of x. */
  xStrides: number[];
  /** Number of x values summed into each output value. */
  reduced: number;
}

/**
 * sumTo(x, shape): `shape` must broadcast to x's shape (NumPy rules, right-aligned): at most
 * x's rank, and each dimension equal to x's or 1. x is summed over the dimensions where
 * `shape` has 1 (and x does not) or is missing.
 */
export function inferSumTo(xShape: Shape, shape: Shape): SumToGeometry {
  assertValidShape('sumTo', 'target', shape);
  const rank = xShape.length;
  const pad = rank - shape.length;
  const bad = pad < 0 || shape.some((d, i) => d !== 1 && d !== xShape[pad + i]);
  if (bad) {
    throw new ShapeError('sumTo', `target shape ${fmtShape(shape)} does not broadcast to the input's shape ${fmtShape(xShape)}`);
  }
  const keptShape = xShape.map((d, i) => (i < pad || shape[i - pad] === 1 ? 1 : d));
  const reducedShape = xShape.map((d, i) => (keptShape[i] === 1 ? d : 1));
  return {
    outShape: [...shape],
    rank,
    keptShape,
    reducedShape,
    xStrides: stridesOf(xShape),
    reduced: sizeOf(reducedShape),
  };
}

/** slice's geometry: x viewed as (outer, axisLen, inner). */
export interface SliceGeometry {
  outShape: number[];
  axis: number;
  outer: number;
  axisLen: number;
  inner: number;
  start: number;
  size: number;
}

/** `size` entries of `axis` (negative counts from the end) starting at `start`, all within x. */
export function inferSlice(xShape: Shape, axis: number, start: number, size: number): SliceGeometry {
  const rank = xShape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeError('slice', `axis ${axis} is out of range for rank ${rank} (input ${fmtShape(xShape)})`);
  }
  if (!Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 0 || start + size > xShape[a]) {
    throw new ShapeError(
      'slice',
      `start ${start} and size ${size} must be integers >= 0 with start + size <= ${xShape[a]}, the input's axis ${a} (input ${fmtShape(xShape)})`,
    );
  }
  const outShape = [...xShape];
  outShape[a] = size;
  return {
    outShape,
    axis: a,
    outer: sizeOf(xShape.slice(0, a)),
    axisLen: xShape[a],
    inner: sizeOf(xShape.slice(a + 1)),
    start,
    size,
  };
}

/** Throws unless `x` has the shape of `ref`. */
export function checkSameShape(op: string, refWhat: string, ref: Shape, what: string, x: Shape): void {
  if (!shapesEqual(ref, x)) {
    throw new ShapeError(op, `${what} must have the ${refWhat}'s shape ${fmtShape(ref)}, got ${fmtShape(x)}`);
  }
}

/**
 * Throws unless the tensors an in-place op writes share no storage with its other tensors:
 * `tensors` are [role, storage identity] (the CPU's Float32Array, the GPU's buffer) and the
 * first `written` of them are written. (WebGPU cannot bind one buffer both read-only and
 * writable in a dispatch, and an aliased update would read values it already changed.)
 */
export function checkNoAlias(op: string, tensors: readonly (readonly [string, unknown])[], written: number): void {
  for (let i = 0; i < written; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      if (tensors[i][1] === tensors[j][1]) {
        throw new InvalidArgumentError(op, `${tensors[i][0]} is updated in place and must not share storage with ${tensors[j][0]}`);
      }
    }
  }
}
