/**
 * Constant tensors: ONNX TensorProtos (initializers, Constant nodes, test data) turned into
 * typed arrays, with every declared size checked against the data actually in the file
 * before anything is allocated for it.
 */
import { OnnxError } from './errors.js';
import { DataType, type TensorProto } from './proto.js';
import { fmtShape } from '../shape.js';
import { halfToFloat } from '../util/numeric.js';

/** A constant known at import time. Floating-point values as float32, integers and booleans as float64 numbers. */
export interface ConstTensor {
  readonly dims: readonly number[];
  readonly kind: 'float' | 'int';
  readonly data: Float32Array | Float64Array;
}

/** Dimensions above this are refused as absurd (no CNN tensor has 2^31 elements along one axis). */
export const MAX_DIM = 2 ** 31 - 1;

const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.UINT8]: 1, [DataType.INT8]: 1, [DataType.UINT16]: 2, [DataType.INT16]: 2,
  [DataType.INT32]: 4, [DataType.INT64]: 8, [DataType.BOOL]: 1, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4, [DataType.UINT64]: 8,
};

const TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

export function dataTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `data type ${t}`;
}

export function isFloatType(t: number): boolean {
  return t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16;
}


/** Checks dimensions and returns the element count. */
export function checkDims(dims: readonly number[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) throw new OnnxError(`${where}: invalid dimension ${d} in shape ${fmtShape(dims)}`);
    n *= d;
  }
  if (n > Number.MAX_SAFE_INTEGER) throw new OnnxError(`${where}: shape ${fmtShape(dims)} has an absurd number of elements`);
  return n;
}

/** The values of a TensorProto. `where` names the tensor (and file) in errors. */
export function tensorFromProto(t: TensorProto, where: string): ConstTensor {
  if (t.external) throw new OnnxError(`${where}: tensor data stored in an external file is not supported (save the model with its weights inside the .onnx file)`);
  const size = checkDims(t.dims, where);
  const type = t.dataType;
  const bytesPer = ELEMENT_BYTES[type];
  if (bytesPer === undefined) throw new OnnxError(`${where}: tensors of type ${dataTypeName(type)} are not supported`);
  const kind = isFloatType(type) ? 'float' : 'int';
  const wrongCount = (got: number, field: string): never => {
    throw new OnnxError(`${where}: shape ${fmtShape(t.dims)} needs ${size} values, ${field} holds ${got}`);
  };
  if (t.rawData) {
    const raw = t.rawData;
    // Checked before allocating: a hostile shape cannot make us allocate more than the file holds.
    if (raw.length !== size * bytesPer) {
      throw new OnnxError(`${where}: shape ${fmtShape(t.dims)} of ${dataTypeName(type)} needs ${size * bytesPer} bytes of raw data, the file holds ${raw.length}`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = kind === 'float' ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) {
      switch (type) {
        case DataType.FLOAT: out[i] = view.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: out[i] = view.getFloat64(i * 8, true); break;
        case DataType.FLOAT16: out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
        case DataType.UINT8: case DataType.BOOL: out[i] = view.getUint8(i); break;
        case DataType.INT8: out[i] = view.getInt8(i); break;
        case DataType.UINT16: out[i] = view.getUint16(i * 2, true); break;
        case DataType.INT16: out[i] = view.getInt16(i * 2, true); break;
        case DataType.INT32: out[i] = view.getInt32(i * 4, true); break;
        case DataType.UINT32: out[i] = view.getUint32(i * 4, true); break;
        case DataType.INT64: out[i] = Number(view.getBigInt64(i * 8, true)); break;
        case DataType.UINT64: out[i] = Number(view.getBigUint64(i * 8, true)); break;
      }
    }
    return { dims: [...t.dims], kind, data: out };
  }
  let values: readonly number[];
  let field: string;
  switch (type) {
    case DataType.FLOAT: values = t.floatData; field = 'float_data'; break;
    case DataType.DOUBLE: values = t.doubleData; field = 'double_data'; break;
    case DataType.INT64: values = t.int64Data; field = 'int64_data'; break;
    case DataType.UINT32: case DataType.UINT64: values = t.uint64Data; field = 'uint64_data'; break;
    default: values = t.int32Data; field = 'int32_data'; // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 (bits)
  }
  if (values.length !== size) wrongCount(values.length, field);
  if (type === DataType.FLOAT16) return { dims: [...t.dims], kind, data: Float32Array.from(values, (v) => halfToFloat(v & 0xffff)) };
  return { dims: [...t.dims], kind, data: kind === 'float' ? Float32Array.from(values) : Float64Array.from(values) };
}
