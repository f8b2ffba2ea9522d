/**
 * Constant folding: the ops that PyTorch's exporter uses to compute shapes (Shape → Gather →
 * Unsqueeze → Concat → Reshape, Slice, Cast, arithmetic on shape values, ConstantOfShape),
 * evaluated at import on constants, so that the graph that runs holds only the real layers.
 * Every result is bounded: a hostile file cannot make folding allocate more than
 * MAX_FOLDED_ELEMENTS values.
 */
import { OnnxError } from './errors.js';
import type { ConstTensor } from './tensor.js';
import { checkDims } from './tensor.js';
import { inferBinary } from '../ops/elementwise.js';
import { resolveSlice } from '../ops/strided_view.js';
import { fmtShape, sizeOf, stridesOf } from '../shape.js';
import { WebCnnError } from '../errors.js';

/** Folded constants larger than this are refused (shape arithmetic needs a handful of values). */
export const MAX_FOLDED_ELEMENTS = 1 << 24;

export function makeConst(dims: readonly number[], kind: 'float' | 'int', values: ArrayLike<number>, where: string): ConstTensor {
  const size = checkDims(dims, where);
  if (size > MAX_FOLDED_ELEMENTS) throw new OnnxError(`${where}: a folded constant of shape ${fmtShape(dims)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  const data = kind === 'float' ? Float32Array.from(values) : Float64Array.from(values, (v) => Math.trunc(v));
  if (data.length !== size) throw new OnnxError(`${where}: internal: ${data.length} values for shape ${fmtShape(dims)}`);
  return { dims: [...dims], kind, data };
}

/** The values of an integer constant as a list (shapes, axes, pads…). */
export function intList(t: ConstTensor, where: string): number[] {
  const out = Array.from(t.data);
  if (out.some((v) => !Number.isFinite(v) || !Number.isInteger(v))) throw new OnnxError(`${where}: expected integer values, got ${JSON.stringify(out.slice(0, 8))}`);
  return out;
}

/** The single value of a constant of one element. */
export function scalarOf(t: ConstTensor, where: string): number {
  if (t.data.length !== 1) throw new OnnxError(`${where}: expected a single value, got shape ${fmtShape(t.dims)}`);
  return t.data[0];
}

export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new OnnxError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Elementwise a ∘ b with NumPy broadcasting. */
export function foldBinary(a: ConstTensor, b: ConstTensor, fn: (x: number, y: number) => number, where: string): ConstTensor {
  let geo;
  try {
    geo = inferBinary('add', a.dims, b.dims);
  } catch (e) {
    if (e instanceof WebCnnError) throw new OnnxError(`${where}: ${e.message}`);
    throw e;
  }
  const { outShape, aStrides, bStrides } = geo;
  const size = sizeOf(outShape);
  if (size > MAX_FOLDED_ELEMENTS) throw new OnnxError(`${where}: a folded constant of shape ${fmtShape(outShape)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  const strides = stridesOf(outShape);
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    let ia = 0;
    let ib = 0;
    let rem = i;
    for (let d = 0; d < outShape.length; d++) {
      const idx = Math.floor(rem / strides[d]);
      rem -= idx * strides[d];
      ia += idx * aStrides[d];
      ib += idx * bStrides[d];
    }
    out[i] = fn(a.data[ia], b.data[ib]);
  }
  const kind = a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
  return makeConst(outShape, kind, out, where);
}

/** numpy.take(data, indices, axis). */
export function foldGather(data: ConstTensor, indices: ConstTensor, axis: number, where: string): ConstTensor {
  const r = data.dims.length;
  if (r === 0) throw new OnnxError(`${where}: cannot gather from a scalar`);
  const a = normAxis(axis, r, where);
  const outer = sizeOf(data.dims.slice(0, a));
  const len = data.dims[a];
  const inner = sizeOf(data.dims.slice(a + 1));
  const idx = intList(indices, where).map((i) => {
    const j = i < 0 ? i + len : i;
    if (j < 0 || j >= len) throw new OnnxError(`${where}: index ${i} is out of range for axis ${a} of length ${len}`);
    return j;
  });
  const dims = [...data.dims.slice(0, a), ...indices.dims, ...data.dims.slice(a + 1)];
  const size = outer * idx.length * inner;
  if (size > MAX_FOLDED_ELEMENTS) throw new OnnxError(`${where}: a folded constant of shape ${fmtShape(dims)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  const out = new Array<number>(size);
  let k = 0;
  for (let o = 0; o < outer; o++) for (const j of idx) for (let i = 0; i < inner; i++) out[k++] = data.data[(o * len + j) * inner + i];
  return makeConst(dims, data.kind, out, where);
}

/** ONNX Slice on a constant: the layer's resolution (clamped starts and ends, any step but 0), read out on the host. */
export function foldSlice(data: ConstTensor, starts: number[], ends: number[], axes: number[] | null, steps: number[] | null, where: string): ConstTensor {
  let view;
  try {
    view = resolveSlice(data.dims, starts, ends, axes ?? undefined, steps ?? undefined);
  } catch (e) {
    if (e instanceof WebCnnError) throw new OnnxError(`${where}: ${e.message}`);
    throw e;
  }
  const { start, step, shape } = view;
  const inStrides = stridesOf(data.dims);
  const outStrides = stridesOf(shape);
  const out = new Array<number>(sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    let rem = i;
    let src = 0;
    for (let d = 0; d < shape.length; d++) {
      const idx = Math.floor(rem / outStrides[d]);
      rem -= idx * outStrides[d];
      src += (start[d] + idx * step[d]) * inStrides[d];
    }
    out[i] = data.data[src];
  }
  return makeConst(shape, data.kind, out, where);
}

/** Concatenation of constants along an axis. */
export function foldConcat(parts: readonly ConstTensor[], axis: number, where: string): ConstTensor {
  const r = parts[0].dims.length;
  const a = normAxis(axis, r, where);
  for (const p of parts) {
    if (p.dims.length !== r || p.dims.some((d, i) => i !== a && d !== parts[0].dims[i])) {
      throw new OnnxError(`${where}: cannot concatenate shapes ${parts.map((q) => fmtShape(q.dims)).join(', ')} along axis ${a}`);
    }
  }
  const outer = sizeOf(parts[0].dims.slice(0, a));
  const dims = [...parts[0].dims];
  dims[a] = parts.reduce((s, p) => s + p.dims[a], 0);
  if (sizeOf(dims) > MAX_FOLDED_ELEMENTS) throw new OnnxError(`${where}: a folded constant of shape ${fmtShape(dims)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = sizeOf(p.dims.slice(a));
      for (let i = 0; i < chunk; i++) out.push(p.data[o * chunk + i]);
    }
  }
  const kind = parts.some((p) => p.kind === 'float') ? 'float' : 'int';
  return makeConst(dims, kind, out, where);
}

/** The same values under new dimensions. */
export function withDims(t: ConstTensor, dims: readonly number[], where: string): ConstTensor {
  if (checkDims(dims, where) !== t.data.length) throw new OnnxError(`${where}: cannot reshape a constant of shape ${fmtShape(t.dims)} to ${fmtShape(dims)}`);
  return { dims: [...dims], kind: t.kind, data: t.data };
}

/** Transposes a 2-D float matrix (rows, cols) → (cols, rows), scaling every value. */
export function transpose2d(data: ArrayLike<number>, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] * scale;
  return out;
}

/** numpy.transpose(t, perm) on a constant (PyTorch's exporter transposes pad lists). */
export function foldTranspose(t: ConstTensor, perm: readonly number[] | null, where: string): ConstTensor {
  const r = t.dims.length;
  const p = perm ?? t.dims.map((_, i) => r - 1 - i);
  if (p.length !== r || new Set(p).size !== r || p.some((a) => !Number.isInteger(a) || a < 0 || a >= r)) {
    throw new OnnxError(`${where}: perm ${JSON.stringify(p)} is not a permutation of ${r} axes`);
  }
  const dims = p.map((a) => t.dims[a]);
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(dims);
  const size = t.data.length;
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    let rem = i;
    let src = 0;
    for (let d = 0; d < r; d++) {
      const idx = Math.floor(rem / outStrides[d]);
      rem -= idx * outStrides[d];
      src += idx * inStrides[p[d]];
    }
    out[i] = t.data[src];
  }
  return makeConst(dims, t.kind, out, where);
}
