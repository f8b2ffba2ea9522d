/**
 * Converters of the reductions (Reduce*, axes as an attribute or, from opset 13 for ReduceSum
 * and 18 for the others, a constant input; keepdims; noop_with_empty_axes), ArgMax / ArgMin
 * (indices as floats), and the normalizations LayerNormalization, InstanceNormalization and
 * GroupNormalization, whose scale and bias become the layers' weight and bias (inputs of the
 * layer when computed by the graph).
 */
import type { DynValue, NodeContext } from '../context.js';
import { foldBinary, makeConst, normAxis } from '../fold.js';
import type { ReduceKind } from '../../ops/reduce.js';
import { fmtShape, sizeOf } from '../../shape.js';
import { type Converter, reshapeTo } from './common.js';

/** Kinds whose reduction over no axis is the identity. */
const IDENTITY_OVER_NOTHING: readonly ReduceKind[] = ['sum', 'mean', 'max', 'min', 'prod'];

export function reduce(kind: ReduceKind, axesInputFrom: number): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'data');
    const axes = c.intsFromInputOrAttr(1, 'axes', axesInputFrom);
    const keepDims = c.int('keepdims', 1) !== 0;
    if (!axes || axes.length === 0) {
      if (c.int('noop_with_empty_axes', 0) === 0) {
        c.out(0, c.emit({ type: 'reduce', op: kind, keepDims }, [x]));
      } else if (IDENTITY_OVER_NOTHING.includes(kind)) {
        c.out(0, x);
      } else {
        // Over no axis, each element is reduced alone: |x|, x², log x, … elementwise.
        c.out(0, c.emit({ type: 'reduce', op: kind, axes: [], keepDims }, [x]));
      }
      return;
    }
    c.out(0, c.emit({ type: 'reduce', op: kind, axes, keepDims }, [x]));
  };
}

export function argReduce(op: 'max' | 'min'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'data');
    const layer = { type: 'argReduce', op, axis: c.int('axis', 0), keepDims: c.int('keepdims', 1) !== 0, selectLastIndex: c.int('select_last_index', 0) !== 0 } as const;
    c.out(0, c.emit(layer, [x]));
  };
}

/**
 * A scale or bias broadcast to `shape` (ONNX lets LayerNormalization's be any shape that
 * broadcasts to the normalized one), or `fill` everywhere when the input is absent. A constant
 * one becomes the layer's parameter; a computed one an input of the layer, reshaped or
 * expanded to `shape`.
 */
function paramOf(c: NodeContext, i: number, what: string, shape: readonly number[], fill: number): Float32Array | DynValue {
  const given = c.operand(i);
  if (given?.kind === 'dyn') {
    const d = given.shape;
    if (d.length > shape.length) c.fail(`${what} ${fmtShape(d)} has more axes than the normalized shape ${fmtShape(shape)}`);
    const lead = shape.length - d.length;
    if (d.some((n, k) => n !== 1 && n !== shape[lead + k])) c.fail(`${what} ${fmtShape(d)} does not broadcast to the normalized shape ${fmtShape(shape)}`);
    if (sizeOf(d) === sizeOf(shape)) return reshapeTo(c, given, shape, what);
    return c.emit({ type: 'expand', shape: [...shape] }, [reshapeTo(c, given, [...new Array<number>(lead).fill(1), ...d], what)], [], what);
  }
  const t = c.optConst(i, what);
  const full = makeConst(shape, 'float', new Float32Array(sizeOf(shape)).fill(fill), c.where);
  if (!t) return c.floatData(full);
  if (t.dims.length > shape.length) c.fail(`${what} ${fmtShape(t.dims)} has more axes than the normalized shape ${fmtShape(shape)}`);
  const out = foldBinary(full, t, (_a, b) => b, c.where);
  if (sizeOf(out.dims) !== sizeOf(shape)) c.fail(`${what} ${fmtShape(t.dims)} does not broadcast to the normalized shape ${fmtShape(shape)}`);
  return c.floatData(out);
}

export const layerNorm: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  const axis = normAxis(c.int('axis', -1), x.shape.length, c.where);
  const epsilon = c.float('epsilon', 1e-5);
  const shape = x.shape.slice(axis);
  const params = [paramOf(c, 1, 'Scale', shape, 1), paramOf(c, 2, 'B', shape, 0)];
  c.out(0, c.emit({ type: 'layerNorm', axis, epsilon }, [x], params));
  // The optional statistics, computed only when something reads them.
  (['mean', 'invStdDev'] as const).forEach((stat, k) => {
    const name = c.node.outputs[k + 1];
    if (name && c.ctx.consumed.has(name)) c.out(k + 1, c.ctx.emit(name, { type: 'layerNormStats', stat, axis, epsilon }, [x], [], c.where));
  });
};

export const instanceNorm: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'input');
  if (x.shape.length < 3) c.fail(`input ${fmtShape(x.shape)} must be (N, C, D1, …)`);
  const channels = x.shape[1];
  c.out(0, c.emit({ type: 'instanceNorm', epsilon: c.float('epsilon', 1e-5) }, [x], [paramOf(c, 1, 'scale', [channels], 1), paramOf(c, 2, 'B', [channels], 0)]));
};

/**
 * GroupNormalization: opset 18's scale and bias are per group, opset 21's per channel; either is
 * taken by its length. PyTorch's decomposed group norm (src/onnx/patterns.ts) gives them as
 * (C, 1, …) for the input's spatial axes, and may give none (ones and zeros).
 */
export const groupNorm: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  if (x.shape.length < 3) c.fail(`input ${fmtShape(x.shape)} must be (N, C, D1, …)`);
  const groups = c.int('num_groups', 0);
  const channels = x.shape[1];
  if (!(groups >= 1 && channels % groups === 0)) c.fail(`num_groups ${groups} must divide the ${channels} channels`);
  const perChannel = (i: number, what: string, fill: number): Float32Array | DynValue => {
    const given = c.operand(i);
    if (given?.kind === 'dyn') {
      // Computed: an input of the layer, one value per channel (a group's repeated over its channels).
      const n = sizeOf(given.shape);
      if (n === channels && given.shape.filter((d) => d !== 1).length <= 1) return reshapeTo(c, given, [channels], what);
      if (n === groups && given.shape.length === 1) {
        const each = c.emit({ type: 'expand', shape: [groups, channels / groups] }, [reshapeTo(c, given, [groups, 1], what)], [], what);
        return reshapeTo(c, each, [channels], what);
      }
      c.fail(`${what} ${fmtShape(given.shape)} is neither one value per group (${groups}) nor per channel (${channels})`);
    }
    const t = c.optConst(i, what);
    if (!t) return new Float32Array(channels).fill(fill);
    const v = c.floatData(t);
    const spatialOnes = t.dims.length === x.shape.length - 1 && t.dims.slice(1).every((d) => d === 1);
    if (t.dims.length > 1 && !spatialOnes) c.fail(`${what} ${fmtShape(t.dims)} is neither a vector nor (C, 1, …) for input ${fmtShape(x.shape)}`);
    if (v.length === channels) return v;
    if (v.length === groups && t.dims.length === 1) return Float32Array.from({ length: channels }, (_, ch) => v[Math.floor(ch / (channels / groups))]);
    return c.fail(`${what} has ${v.length} values; expected ${groups} (one per group) or ${channels} (one per channel)`);
  };
  c.out(0, c.emit({ type: 'groupNorm', groups, epsilon: c.float('epsilon', 1e-5) }, [x], [perChannel(1, 'scale', 1), perChannel(2, 'bias', 0)]));
};
