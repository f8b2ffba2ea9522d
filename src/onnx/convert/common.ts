/**
 * What every family of converters shares: the converter signature, the test for a computed
 * value, and the reshape that keeps a symbolic batch.
 */
import type { NodeContext, DynValue, Value } from '../context.js';
import { type ConstTensor, checkDims } from '../tensor.js';
import { fmtShape, sizeOf } from '../../shape.js';

/** Converts one ONNX node: reads its inputs and attributes, sets its outputs. */
export type Converter = (c: NodeContext) => void;

export const dyn = (v: Value | null): v is DynValue => v !== null && v.kind === 'dyn';

/** The whole shape of a constant or computed operand. */
export const dimsOf = (v: ConstTensor | DynValue): readonly number[] => (v.kind === 'dyn' ? v.shape : v.dims);

/**
 * Reshapes a computed value to `shape` (its whole shape at import). A leading size equal to the
 * input's is kept as "copy axis 0" (0), so a model with a symbolic batch runs any batch.
 */
export function reshapeTo(c: NodeContext, v: DynValue, shape: readonly number[], suffix?: string): DynValue {
  checkDims(shape, c.where);
  if (sizeOf(shape) !== sizeOf(v.shape)) c.fail(`cannot reshape ${fmtShape(v.shape)} (${sizeOf(v.shape)} values) to ${fmtShape(shape)}`);
  if (shape.length === v.shape.length && shape.every((d, i) => d === v.shape[i])) return v;
  const target = shape.map((d, i) => (i === 0 && v.shape.length > 0 && d === v.shape[0] ? 0 : d));
  return c.emit({ type: 'reshape', shape: target }, [v], [], suffix);
}
