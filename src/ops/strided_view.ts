/**
 * Strided views of computed values: the primitives `stridedView` (every output element reads
 * the input at start + step·coordinate per axis, wrapping modulo the input's size) and
 * `stridedScatter` (its inverse for views that do not wrap: the gradient of a slice), and the
 * layers built on them — slice (ONNX's Slice: negative indices, clamping, negative steps, any
 * axes), tile (the wrap repeats the input) and expand (the wrap of a size-1 axis broadcasts it).
 * Channel splits (ShuffleNetV2), U-Net crops and detection heads' slices of the last axis.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Tensor } from '../tensor.js';
import { type Shape, broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import { defineOp, reduceTo } from './op.js';
import { definePrimitive } from './primitive.js';

/** Per axis: the first input coordinate read and the step between reads. */
export interface StridedViewAttrs {
  /** The output's shape (the input's rank). */
  readonly shape: readonly number[];
  readonly start: readonly number[];
  readonly step: readonly number[];
}

function checkAttrs(op: string, rank: number, { shape, start, step }: StridedViewAttrs, x: Shape): void {
  const lists = { shape, start, step };
  for (const [what, l] of Object.entries(lists)) {
    if (l.length !== rank || l.some((v) => !Number.isInteger(v))) {
      throw new ShapeError(op, `${what} ${JSON.stringify(l)} must hold one integer per axis of the rank-${rank} input ${fmtShape(x)}`);
    }
  }
  if (shape.some((d) => d < 0)) throw new ShapeError(op, `shape ${fmtShape(shape)} has a negative dimension`);
}

/**
 * out[c] = x[(start + step·c) mod dims] per axis, for an output of `shape` with x's rank. A
 * slice stays inside x (the modulo is the identity); a tile wraps around it; an axis of size 1
 * read at step 0 or 1 broadcasts.
 */
export const STRIDED_VIEW = definePrimitive<StridedViewAttrs>({
  name: 'stridedView',
  infer([x], attrs) {
    if (!x) throw new ShapeError('stridedView', 'takes one input, got none');
    checkAttrs('stridedView', x.length, attrs, x);
    x.forEach((d, i) => {
      if (d === 0 && attrs.shape[i] > 0) throw new ShapeError('stridedView', `axis ${i} of the input ${fmtShape(x)} is empty but the output ${fmtShape(attrs.shape)} reads it`);
    });
    return [...attrs.shape];
  },
});

/**
 * The inverse of a strided view that stays inside its input: zeros of `shape` (the view's
 * input shape) with dy's element c written at start + step·c. dy has the view's output shape.
 */
export const STRIDED_SCATTER = definePrimitive<StridedViewAttrs>({
  name: 'stridedScatter',
  infer([dy], attrs) {
    if (!dy) throw new ShapeError('stridedScatter', 'takes one input, got none');
    checkAttrs('stridedScatter', dy.length, { ...attrs, shape: dy }, dy);
    if (attrs.shape.length !== dy.length) throw new ShapeError('stridedScatter', `shape ${fmtShape(attrs.shape)} must have dy's rank ${dy.length}`);
    dy.forEach((n, i) => {
      const first = attrs.start[i];
      const last = first + attrs.step[i] * (n - 1);
      if (n > 0 && (Math.min(first, last) < 0 || Math.max(first, last) >= attrs.shape[i])) {
        throw new ShapeError('stridedScatter', `axis ${i}: ${n} values from ${first} by ${attrs.step[i]} fall outside the output ${fmtShape(attrs.shape)}`);
      }
    });
    return [...attrs.shape];
  },
});

/** A slice resolved against an input shape: per axis its first coordinate, step and length. */
export interface ResolvedSlice {
  start: number[];
  step: number[];
  shape: number[];
}

/**
 * ONNX's Slice on a shape: `starts`/`ends` per listed axis (default all axes in order),
 * negative values counting from the end, clamped to the axis (ends beyond it, INT64_MAX
 * included, mean "to the end"); `steps` default 1, negative walks backwards, 0 is an error.
 */
export function resolveSlice(
  x: Shape,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
  layer?: string,
): ResolvedSlice {
  const rank = x.length;
  const ax = axes ?? starts.map((_, i) => i);
  if (starts.length !== ends.length || ax.length !== starts.length || (steps && steps.length !== starts.length)) {
    throw new ShapeError('slice', `starts ${JSON.stringify(starts)}, ends ${JSON.stringify(ends)}, axes ${JSON.stringify(axes ?? null)} and steps ${JSON.stringify(steps ?? null)} must have one entry per sliced axis`, layer);
  }
  const start = x.map(() => 0);
  const step = x.map(() => 1);
  const shape = [...x];
  const seen = new Set<number>();
  ax.forEach((axis, k) => {
    const a = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(axis) || a < 0 || a >= rank) throw new ShapeError('slice', `axis ${axis} is out of range for the rank-${rank} input ${fmtShape(x)}`, layer);
    if (seen.has(a)) throw new ShapeError('slice', `axis ${axis} is listed twice in ${JSON.stringify(ax)}`, layer);
    seen.add(a);
    const d = x[a];
    const s = steps ? steps[k] : 1;
    if (!Number.isInteger(s) || s === 0) throw new ShapeError('slice', `step ${s} of axis ${axis} must be a non-zero integer`, layer);
    if (!Number.isInteger(starts[k]) || !Number.isInteger(ends[k])) throw new ShapeError('slice', `start ${starts[k]} and end ${ends[k]} of axis ${axis} must be integers`, layer);
    const norm = (v: number) => (v < 0 ? v + d : v);
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const b = s > 0 ? clamp(norm(starts[k]), 0, d) : clamp(norm(starts[k]), 0, d - 1);
    const e = s > 0 ? clamp(norm(ends[k]), 0, d) : clamp(norm(ends[k]), -1, d - 1);
    const n = Math.max(0, Math.ceil((e - b) / s));
    start[a] = n > 0 ? b : 0;
    step[a] = s;
    shape[a] = n;
  });
  return { start, step, shape };
}

// ---------------------------------------------------------------------------------------------
// Layers

/**
 * A strided slice, as ONNX's Slice and NumPy's `x[a:b:s]`: per listed axis (default the
 * first `starts.length` axes) from `starts` up to, not including, `ends` by `steps` (default
 * 1). Negative values count from the end; out-of-range starts and ends are clamped.
 */
export interface SliceLayer {
  type: 'slice';
  starts: readonly number[];
  ends: readonly number[];
  axes?: readonly number[];
  steps?: readonly number[];
}

export const sliceOp = defineOp<SliceLayer>({
  type: 'slice',
  inputs: 1,
  forward(b, { layer, name, inputs: [x] }) {
    return b.prim(STRIDED_VIEW, [x], resolveSlice(x.shape, layer.starts, layer.ends, layer.axes, layer.steps, name));
  },
  backward(b, { layer, name, inputs: [x], dy, needInput }) {
    if (!needInput[0]) return { inputs: [undefined] };
    const { start, step } = resolveSlice(x.shape, layer.starts, layer.ends, layer.axes, layer.steps, name);
    return { inputs: [b.prim(STRIDED_SCATTER, [dy], { shape: [...x.shape], start, step })] };
  },
  flops: () => 0,
});

/** Repeats the input `repeats[i]` times along axis i (ONNX's Tile, PyTorch's `repeat`). */
export interface TileLayer {
  type: 'tile';
  repeats: readonly number[];
}

function tileShape(x: Shape, repeats: readonly number[], layer: string): number[] {
  if (repeats.length !== x.length || repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new ShapeError('tile', `repeats ${JSON.stringify(repeats)} must hold one integer >= 0 per axis of the input ${fmtShape(x)}`, layer);
  }
  return x.map((d, i) => d * repeats[i]);
}

/** Sums the `repeats[a]` copies along each tiled axis a: (…, r·d, …) → (…, d, …), one axis at a time. */
function untile(b: TrainingBackend, dy: Tensor, x: Shape, repeats: readonly number[]): Tensor {
  let g = dy;
  x.forEach((d, a) => {
    if (repeats[a] === 1) return;
    const outer = sizeOf(g.shape.slice(0, a));
    const inner = d * sizeOf(g.shape.slice(a + 1));
    const summed = b.sumTo(b.reshape(g, [outer, repeats[a], inner]), [outer, 1, inner]);
    g = b.reshape(summed, g.shape.map((n, i) => (i === a ? d : n)));
  });
  return g;
}

export const tileOp = defineOp<TileLayer>({
  type: 'tile',
  inputs: 1,
  forward(b, { layer, name, inputs: [x] }) {
    const shape = tileShape(x.shape, layer.repeats, name);
    return b.prim(STRIDED_VIEW, [x], { shape, start: shape.map(() => 0), step: shape.map(() => 1) });
  },
  backward: (b, { layer, inputs: [x], dy, needInput }) => ({ inputs: [needInput[0] ? untile(b, dy, x.shape, layer.repeats) : undefined] }),
  flops: () => 0,
});

/**
 * Broadcasts the input to `shape` (ONNX's Expand: the two shapes broadcast both ways, NumPy's
 * rule, so a 1 in `shape` keeps the input's size there and `shape` may have fewer axes).
 */
export interface ExpandLayer {
  type: 'expand';
  shape: readonly number[];
}

export function expandShape(x: Shape, shape: readonly number[], layer?: string): number[] {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InvalidArgumentError('expand', `shape ${JSON.stringify(shape)} must hold integers >= 0`, layer);
  try {
    return broadcastShapes('expand', x, shape);
  } catch {
    throw new ShapeError('expand', `the input ${fmtShape(x)} does not broadcast with the shape ${fmtShape(shape)}`, layer);
  }
}

export const expandOp = defineOp<ExpandLayer>({
  type: 'expand',
  inputs: 1,
  forward(b, { layer, name, inputs: [x] }) {
    const shape = expandShape(x.shape, layer.shape, name);
    const padded = b.reshape(x, [...shape.slice(0, shape.length - x.rank).map(() => 1), ...x.shape]);
    return b.prim(STRIDED_VIEW, [padded], { shape, start: shape.map(() => 0), step: shape.map(() => 1) });
  },
  backward: (b, { inputs: [x], dy, needInput }) => ({ inputs: [needInput[0] ? reduceTo(b, dy, x.shape) : undefined] }),
  flops: () => 0,
});
