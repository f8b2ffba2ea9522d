/**
 * What every family of converters shares: the converter signature, the test for a computed
 * value, and the reshape that keeps symbolic dimensions symbolic.
 */
import type { NodeContext, DynValue, Value } from '../context.js';
import { type ConstTensor, checkDims } from '../tensor.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../../shape.js';
import { reshapeShape, reshapeTarget } from '../../ops/elementwise.js';

/** Converts one ONNX node: reads its inputs and attributes, sets its outputs. */
export type Converter = (c: NodeContext) => void;

export const dyn = (v: Value | null): v is DynValue => v !== null && v.kind === 'dyn';

/** The whole shape of a constant or computed operand. */
export const dimsOf = (v: ConstTensor | DynValue): readonly number[] => (v.kind === 'dyn' ? v.shape : v.dims);

/**
 * What a computed value is reshaped to: a fixed shape, the shape of another computed value, or
 * a function of the input's shape (applied to its shape at import and at the probe sizes).
 */
export type ReshapeTarget = readonly number[] | DynValue | ((s: Shape) => readonly number[]);

/**
 * Reshapes a computed value. The reshape layer's target keeps every output axis that depends
 * on a symbolic dimension (it differs between the value's shape at import and at the probe
 * sizes, `DynValue.probe`) as "copy axis i" (0) when the input has it at the same axis, else
 * as "the rest" (-1), so a model with a symbolic batch runs any batch. Without a probe shape,
 * a leading size equal to the input's is read as "copy axis 0".
 */
export function reshapeTo(c: NodeContext, v: DynValue, to: ReshapeTarget, suffix?: string): DynValue {
  const shape = typeof to === 'function' ? to(v.shape) : 'kind' in to ? to.shape : to;
  checkDims(shape, c.where);
  if (sizeOf(shape) !== sizeOf(v.shape)) c.fail(`cannot reshape ${fmtShape(v.shape)} (${sizeOf(v.shape)} values) to ${fmtShape(shape)}`);
  const probeIn = v.probe;
  const probeOut = probeIn === undefined ? undefined : typeof to === 'function' ? to(probeIn) : 'kind' in to ? to.probe : to;
  if (shapesEqual(shape, v.shape) && (probeIn === undefined || probeOut === undefined || shapesEqual(probeOut, probeIn))) return v;
  return c.emit({ type: 'reshape', shape: layerTarget(c, v.shape, shape, probeIn, probeOut) }, [v], [], suffix);
}

/** The reshape layer's target (0 copies the input's axis, -1 takes the rest) that gives `shape` from `from`, and `probeOut` from `probeIn`. */
function layerTarget(c: NodeContext, from: Shape, shape: Shape, probeIn: Shape | undefined, probeOut: Shape | undefined): number[] {
  if (probeIn === undefined || probeOut === undefined) return shape.map((d, i) => (i === 0 && from.length > 0 && d === from[0] ? 0 : d));
  // The value cannot take other sizes of its symbolic dimensions here: the fixed shape, as ONNX would.
  if (probeOut.length !== shape.length || sizeOf(probeOut) !== sizeOf(probeIn)) return [...shape];
  let rest = -1;
  const target = shape.map((d, j) => {
    if (probeOut[j] === d) return d;
    if (j < from.length && from[j] === d && probeIn[j] === probeOut[j]) return 0;
    if (rest >= 0) c.fail(`cannot reshape ${fmtShape(from)} to ${fmtShape(shape)} keeping its symbolic dimensions: output axes ${rest} and ${j} both depend on them`);
    rest = j;
    return -1;
  });
  const gives = (s: Shape) => reshapeShape(s, reshapeTarget(s, target));
  if (!shapesEqual(gives(from), shape) || !shapesEqual(gives(probeIn), probeOut)) {
    c.fail(`cannot reshape ${fmtShape(from)} to ${fmtShape(shape)} keeping its symbolic dimensions (target ${fmtShape(target)})`);
  }
  return target;
}
