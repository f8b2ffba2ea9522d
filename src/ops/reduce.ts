/**
 * Reductions: the `reduce` primitive (sum, mean, max, min, prod, L1, L2, sum of squares, log of
 * the sum, log-sum-exp over any set of axes of any rank), its gradient primitive, and
 * `argReduce` (the index of the max or min along one axis). The layers `reduce` (trainable) and
 * `argReduce` (inference only). ONNX's Reduce* and ArgMax/ArgMin are converted in
 * src/onnx/convert/reduce.ts (their axes may be a constant input).
 *
 * Indices are returned as float32 values, since every tensor here is f32: exact up to 2^24.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual, sizeOf, stridesOf } from '../shape.js';
import { defineOp } from './op.js';
import { definePrimitive } from './primitive.js';

/** What a reduction computes over its reduced elements v: Σv, mean, max, min, Πv, Σ|v|, √Σv², Σv², log Σv, log Σ exp v. */
export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'l1' | 'l2' | 'sumSquare' | 'logSum' | 'logSumExp';

/** Every kind, in the order of their codes in shaders/reduce.wgsl (KIND). */
export const REDUCE_KINDS: readonly ReduceKind[] = ['sum', 'mean', 'max', 'min', 'prod', 'l1', 'l2', 'sumSquare', 'logSum', 'logSumExp'];

export interface ReduceAttrs {
  readonly kind: ReduceKind;
  /** The reduced axes, non-negative, ascending, distinct; [] reduces nothing (each output is f of one element). */
  readonly axes: readonly number[];
  /** Keep each reduced axis as a dimension of size 1. */
  readonly keepDims: boolean;
}

/** `axes` (negative ones count from the end; undefined = all) made non-negative and sorted, checked against a rank. */
export function resolveAxes(op: string, rank: number, axes: readonly number[] | undefined, layer?: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  if (out.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(out).size !== out.length) {
    throw new ShapeError(op, `axes ${JSON.stringify(axes)} must be distinct axes of the rank-${rank} input`, layer);
  }
  return out.sort((a, b) => a - b);
}

/**
 * x seen by a reduction: the kept axes (in order, whose row-major enumeration is the output's
 * order) and the reduced axes, each with their sizes and their strides in x. Output o reads
 * x[base(o) + offset(r)] for r over the reduced elements. Shared by the CPU twin and the kernel.
 */
export interface ReduceGeometry {
  readonly outShape: Shape;
  readonly outputs: number;
  /** Elements reduced into each output. */
  readonly count: number;
  readonly keptDims: readonly number[];
  readonly keptStrides: readonly number[];
  readonly redDims: readonly number[];
  readonly redStrides: readonly number[];
}

export function reduceGeometry(x: Shape, axes: readonly number[], keepDims: boolean): ReduceGeometry {
  const strides = stridesOf(x);
  const reduced = new Set(axes);
  const kept = x.map((_, i) => i).filter((i) => !reduced.has(i));
  const outShape = keepDims ? x.map((d, i) => (reduced.has(i) ? 1 : d)) : kept.map((i) => x[i]);
  return {
    outShape,
    outputs: sizeOf(outShape),
    count: sizeOf(axes.map((a) => x[a])),
    keptDims: kept.map((i) => x[i]),
    keptStrides: kept.map((i) => strides[i]),
    redDims: axes.map((a) => x[a]),
    redStrides: axes.map((a) => strides[a]),
  };
}

/** Offsets in x of a row-major enumeration of `dims` with these strides (the CPU twin's index lists). */
export function offsetsOf(dims: readonly number[], strides: readonly number[]): Int32Array {
  const out = new Int32Array(sizeOf(dims));
  const coord = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let d = 0; d < dims.length; d++) off += coord[d] * strides[d];
    out[i] = off;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++coord[d] < dims[d]) break;
      coord[d] = 0;
    }
  }
  return out;
}

function checkAttrs(op: string, x: Shape, { kind, axes }: { kind: string; axes: readonly number[] }): void {
  if (!REDUCE_KINDS.includes(kind as ReduceKind)) throw new InvalidArgumentError(op, `unknown reduction ${JSON.stringify(kind)}; expected one of ${REDUCE_KINDS.join(', ')}`);
  const sorted = resolveAxes(op, x.length, axes);
  if (sorted.some((a, i) => a !== axes[i])) throw new ShapeError(op, `axes ${JSON.stringify(axes)} must be non-negative and ascending (input ${fmtShape(x)})`);
}

export const REDUCE = definePrimitive<ReduceAttrs>({
  name: 'reduce',
  infer([x], attrs) {
    if (!x) throw new ShapeError('reduce', 'takes one input, got none');
    checkAttrs('reduce', x, attrs);
    return reduceGeometry(x, attrs.axes, attrs.keepDims).outShape;
  },
});

/** The gradient of `reduce`: inputs x, the forward's output y and dy (both of y's shape) → dx (x's shape). */
export const REDUCE_BACKWARD = definePrimitive<ReduceAttrs>({
  name: 'reduceBackward',
  infer([x, y, dy], attrs) {
    if (!x || !y || !dy) throw new ShapeError('reduceBackward', 'takes x, y and dy');
    checkAttrs('reduceBackward', x, attrs);
    const want = reduceGeometry(x, attrs.axes, attrs.keepDims).outShape;
    if (!shapesEqual(y, want) || !shapesEqual(dy, want)) {
      throw new ShapeError('reduceBackward', `y ${fmtShape(y)} and dy ${fmtShape(dy)} must have the reduction's output shape ${fmtShape(want)} (x ${fmtShape(x)})`);
    }
    return [...x];
  },
});

export interface ArgReduceAttrs {
  readonly kind: 'max' | 'min';
  /** Non-negative. */
  readonly axis: number;
  readonly keepDims: boolean;
  /** On ties, the last index instead of the first. */
  readonly selectLast: boolean;
}

/** The index along `axis` of the max (or min), as a float. */
export const ARG_REDUCE = definePrimitive<ArgReduceAttrs>({
  name: 'argReduce',
  infer([x], { kind, axis, keepDims }) {
    if (!x) throw new ShapeError('argReduce', 'takes one input, got none');
    if (kind !== 'max' && kind !== 'min') throw new InvalidArgumentError('argReduce', `kind must be 'max' or 'min', got ${JSON.stringify(kind)}`);
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.length) throw new ShapeError('argReduce', `axis ${axis} is out of range for input ${fmtShape(x)}`);
    if (x[axis] === 0) throw new ShapeError('argReduce', `axis ${axis} of input ${fmtShape(x)} is empty`);
    return reduceGeometry(x, [axis], keepDims).outShape;
  },
});

// ---------------------------------------------------------------------------------------------
// Layers

/** A reduction over `axes` (default: all; negative count from the end). keepDims defaults to false, as in PyTorch and NumPy. */
export interface ReduceLayer {
  type: 'reduce';
  op: ReduceKind;
  axes?: readonly number[];
  keepDims?: boolean;
}

const reduceAttrs = (layer: ReduceLayer, rank: number, name: string): ReduceAttrs => {
  if (!REDUCE_KINDS.includes(layer.op)) throw new InvalidArgumentError('reduce', `unknown op ${JSON.stringify(layer.op)}; expected one of ${REDUCE_KINDS.join(', ')}`, name);
  return { kind: layer.op, axes: resolveAxes('reduce', rank, layer.axes, name), keepDims: layer.keepDims ?? false };
};

export const reduceOp = defineOp<ReduceLayer>({
  type: 'reduce',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => b.prim(REDUCE, [x], reduceAttrs(layer, x.rank, name)),
  backward: (b, { layer, name, inputs: [x], output, dy, needInput }) => ({
    inputs: [needInput[0] ? b.prim(REDUCE_BACKWARD, [x, output, dy], reduceAttrs(layer, x.rank, name)) : undefined],
  }),
  flops: (_layer, [x]) => 2 * sizeOf(x),
});

/** The index of the max or min along `axis` (negative counts from the end), as a float. No gradient. */
export interface ArgReduceLayer {
  type: 'argReduce';
  op: 'max' | 'min';
  axis: number;
  /** Default false. */
  keepDims?: boolean;
  /** On ties, the last index (default: the first). */
  selectLastIndex?: boolean;
}

export const argReduceOp = defineOp<ArgReduceLayer>({
  type: 'argReduce',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => {
    const [axis] = resolveAxes('argReduce', x.rank, [layer.axis], name);
    return b.prim(ARG_REDUCE, [x], { kind: layer.op, axis, keepDims: layer.keepDims ?? false, selectLast: layer.selectLastIndex ?? false });
  },
  flops: (_layer, [x]) => sizeOf(x),
});
