/**
 * Converters of the ops that move, relabel or make values rather than compute them: Reshape,
 * Flatten, Squeeze / Unsqueeze and Concat reshape computed values and fold constants; Shape
 * reads a value's shape as a constant; Transpose folds constants (a computed Transpose goes to
 * the registry's op; Slice, Split, Gather, Tile and Expand are in movement.ts); Cast, Constant and ConstantOfShape make constants;
 * Identity and Dropout pass their input through.
 */
import type { NodeContext, DynValue, Value } from '../context.js';
import type { ConstTensor } from '../tensor.js';
import { DataType } from '../proto.js';
import { checkDims, dataTypeName, isFloatType } from '../tensor.js';
import { MAX_FOLDED_ELEMENTS, foldConcat, foldTranspose, intList, makeConst, normAxis, scalarOf, withDims } from '../fold.js';
import { type Shape, fmtShape, sizeOf } from '../../shape.js';
import { type Converter, dyn, reshapeTo } from './common.js';

export const concat: Converter = (c: NodeContext) => {
  const ins = c.node.inputs.map((_, i) => c.input(i)).filter((v): v is Value => v !== null);
  if (ins.length === 0) c.fail('needs at least one input');
  if (!c.has('axis')) c.fail('attribute axis is required');
  const axis = c.int('axis', 0);
  if (ins.every((v) => v.kind === 'const')) {
    c.out(0, { kind: 'const', tensor: foldConcat(ins.map((v) => (v as { tensor: ConstTensor }).tensor), axis, c.where) });
    return;
  }
  if (!ins.every(dyn)) c.fail('concatenating computed values with constants is not supported');
  const xs = ins as DynValue[];
  const a = normAxis(axis, xs[0].shape.length, c.where);
  if (xs.length === 1) {
    c.out(0, xs[0]);
    return;
  }
  c.out(0, c.emit({ type: 'concat', axis: a }, xs));
};

export const flatten: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const shape = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const r = shape.length;
  let axis = c.int('axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) c.fail(`axis ${c.int('axis', 1)} is out of range for rank ${r}`);
  const to = (s: Shape) => [sizeOf(s.slice(0, axis)), sizeOf(s.slice(axis))];
  if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, to(shape), c.where) });
  else if (axis === 1) c.out(0, c.emit({ type: 'flatten' }, [v]));
  else c.out(0, reshapeTo(c, v, to));
};

export const reshape: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input data is missing');
  const target = c.opset >= 5 ? intList(c.konst(1, 'shape'), `${c.where}: shape`) : c.ints('shape', null);
  if (!target) c.fail('shape is missing');
  const from = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const allowZero = c.opset >= 14 && c.int('allowzero', 0) !== 0;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (i < from.length ? from[i] : c.fail(`shape ${JSON.stringify(target)}: 0 at axis ${i} copies a dimension the input ${fmtShape(from)} does not have`)) : d));
  if (dims.filter((d) => d === -1).length > 1 || dims.some((d) => d < -1)) c.fail(`invalid shape ${JSON.stringify(target)}`);
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = sizeOf(from);
  const resolved = dims.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (!resolved.every(Number.isInteger) || sizeOf(resolved) !== total) c.fail(`cannot reshape ${fmtShape(from)} (${total} values) to ${JSON.stringify(target)}`);
  if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, resolved, c.where) });
  else {
    // Exporters write `x.size(0)` as a constant folded at import: a literal equal to a symbolic
    // size at the same axis is read as that size, as 0 is (see DynValue.probe).
    const copies = target.map((d, i) => (d === 0 && !allowZero) || (v.probe !== undefined && v.probe[i] !== from[i] && d === from[i]));
    c.out(0, reshapeTo(c, v, (s) => resolveReshape(s, target, copies)));
  }
};

/** A Reshape's `target` for an input of shape `s`: the axes marked in `copies` take the input's size, one -1 the rest. */
function resolveReshape(s: Shape, target: readonly number[], copies: readonly boolean[]): number[] {
  const dims = target.map((d, i) => (copies[i] ? s[i] : d));
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  return dims.map((d) => (d === -1 ? (known === 0 ? 0 : sizeOf(s) / known) : d));
}

/** Squeeze / Unsqueeze: only the dimensions change. */
export function squeezeLike(unsqueeze: boolean): Converter {
  return (c: NodeContext) => {
    const v = c.input(0);
    if (!v) c.fail('input is missing');
    const from = v.kind === 'dyn' ? v.shape : v.tensor.dims;
    const axes = c.intsFromInputOrAttr(1, 'axes', 13);
    let to: (s: Shape) => number[];
    if (unsqueeze) {
      if (!axes) c.fail('axes are required');
      const r = from.length + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r, c.where)));
      if (set.size !== axes.length) c.fail(`axes ${JSON.stringify(axes)} repeat an axis`);
      to = (s) => {
        let k = 0;
        return Array.from({ length: r }, (_, i) => (set.has(i) ? 1 : s[k++]));
      };
    } else {
      // Without axes, every axis of size 1, except those of a symbolic size (1 only at import).
      const probe = v.kind === 'dyn' ? v.probe : undefined;
      const set = new Set((axes ?? from.map((d, i) => (d === 1 && (!probe || probe[i] === 1) ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, from.length, c.where)));
      for (const a of set) if (from[a] !== 1) c.fail(`cannot squeeze axis ${a} of ${fmtShape(from)}: it is not 1`);
      to = (s) => s.filter((_, i) => !set.has(i));
    }
    if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, to(from), c.where) });
    else c.out(0, reshapeTo(c, v, to));
  };
}

export const passThrough: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  c.out(0, v);
};

/**
 * Dropout at inference is the identity, and so is training mode with ratio 0; its mask output
 * is then all ones (true), a constant of the input's shape.
 */
export const dropout: Converter = (c: NodeContext) => {
  if (c.opset >= 12) {
    const training = c.optConst(2, 'training_mode');
    if (training && scalarOf(training, `${c.where}: training_mode`) !== 0) {
      const ratio = c.optConst(1, 'ratio');
      const r = ratio ? scalarOf(ratio, `${c.where}: ratio`) : 0.5;
      if (r !== 0) c.fail(`training_mode = true with ratio ${r} is not supported (inference only; ratio 0 is the identity)`);
    }
  }
  passThrough(c);
  const x = c.input(0)!;
  if (c.node.outputs[1] && c.ctx.consumed.has(c.node.outputs[1])) {
    const dims = x.kind === 'dyn' ? x.shape : x.tensor.dims;
    c.out(1, { kind: 'const', tensor: makeConst(dims, 'int', new Array<number>(sizeOf(dims)).fill(1), c.where) });
  }
};

export const constant: Converter = (c: NodeContext) => {
  const t = c.tensorAttr('value');
  if (t) return c.out(0, { kind: 'const', tensor: t });
  if (c.has('value_float')) return c.out(0, { kind: 'const', tensor: makeConst([], 'float', [c.float('value_float', 0)], c.where) });
  const fs = c.floats('value_floats');
  if (fs) return c.out(0, { kind: 'const', tensor: makeConst([fs.length], 'float', fs, c.where) });
  if (c.has('value_int')) return c.out(0, { kind: 'const', tensor: makeConst([], 'int', [c.int('value_int', 0)], c.where) });
  const is = c.ints('value_ints', null);
  if (is) return c.out(0, { kind: 'const', tensor: makeConst([is.length], 'int', is, c.where) });
  c.fail('only the value, value_float(s) and value_int(s) attributes are supported');
};

export const shape: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const dims = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const r = dims.length;
  let start = c.opset >= 15 ? c.int('start', 0) : 0;
  let end = c.opset >= 15 ? c.int('end', r) : r;
  if (start < 0) start += r;
  if (end < 0) end += r;
  const picked = dims.slice(Math.min(Math.max(start, 0), r), Math.min(Math.max(end, 0), r));
  c.out(0, { kind: 'const', tensor: makeConst([picked.length], 'int', picked, c.where) });
};

export const cast: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const to = c.int('to', 0);
  if (v.kind === 'dyn') {
    // Computed values are float32, which DOUBLE holds exactly: an alias. Narrower types would
    // round; an integer input's values (exact floats) are already INT32 or INT64 values.
    const wideInt = (to === DataType.INT64 || to === DataType.INT32) && c.ctx.integerInputs.has(v.ref);
    if (to !== DataType.FLOAT && to !== DataType.DOUBLE && !wideInt) c.fail(`computed values are float32; casting them to ${dataTypeName(to)} is not supported (it would round)`);
    return c.out(0, v);
  }
  const t = v.tensor;
  if (isFloatType(to)) return c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'float', t.data, c.where) });
  if (to === DataType.BOOL) return c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'int', Array.from(t.data, (x) => (x !== 0 ? 1 : 0)), c.where) });
  if (to === DataType.STRING || to === 0 || to > DataType.UINT64) c.fail(`casting to ${dataTypeName(to)} is not supported`);
  c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'int', t.data, c.where) });
};

export const constantOfShape: Converter = (c: NodeContext) => {
  const dims = intList(c.konst(0, 'shape'), `${c.where}: shape`);
  const value = c.tensorAttr('value');
  const size = checkDims(dims, c.where);
  const kind = value ? value.kind : 'float';
  const fill = value ? scalarOf(value, `${c.where}: value`) : 0;
  if (size > MAX_FOLDED_ELEMENTS) c.fail(`a constant of shape ${fmtShape(dims)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  c.out(0, { kind: 'const', tensor: makeConst(dims, kind, new Array<number>(size).fill(fill), c.where) });
};

export const transpose: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  if (v.kind === 'dyn') c.fail('transposing computed values is not supported (only constants are folded)');
  c.out(0, { kind: 'const', tensor: foldTranspose(v.tensor, c.ints('perm', null), c.where) });
};

/** Size: the element count of its input, known at import. */
export const size: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  c.out(0, { kind: 'const', tensor: makeConst([], 'int', [sizeOf(v.kind === 'dyn' ? v.shape : v.tensor.dims)], c.where) });
};

/** Range of constant start, limit and delta (scalars), folded: max(ceil((limit - start) / delta), 0) values. */
export const range: Converter = (c: NodeContext) => {
  const [start, limit, delta] = ['start', 'limit', 'delta'].map((what, i) => c.konst(i, what));
  const [s, l, d] = [start, limit, delta].map((t, i) => scalarOf(t, `${c.where}: ${['start', 'limit', 'delta'][i]}`));
  if (d === 0) c.fail('delta cannot be 0');
  const n = Math.max(Math.ceil((l - s) / d), 0);
  if (!(n <= MAX_FOLDED_ELEMENTS)) c.fail(`a range of ${n} values is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  const kind = start.kind === 'float' || limit.kind === 'float' || delta.kind === 'float' ? 'float' : 'int';
  const step = kind === 'float' ? Math.fround(d) : d;
  c.out(0, { kind: 'const', tensor: makeConst([n], kind, Array.from({ length: n }, (_, i) => s + i * step), c.where) });
};
