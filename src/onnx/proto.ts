/**
 * ONNX's protobuf schema (the subset of `onnx.proto` the importer reads) and the decoding of a
 * model file into plain, validated objects. The bytes are decoded by protobufjs, from a schema
 * description written here from the field numbers of `onnx.proto` (proto2). Fields the importer
 * does not need — nested graphs of control-flow attributes, sparse tensors, training info,
 * functions — are left out of the schema, so protobufjs skips them without decoding (and a
 * hostile file cannot make it recurse deeply: no message here contains itself).
 *
 * int64 fields arrive as `Long` objects (protobufjs uses the `long` package); they are turned
 * into numbers here, so everything past this file sees plain numbers.
 */
import * as protobuf from 'protobufjs/light.js';
import { OnnxError } from './errors.js';

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producer_name: { type: 'string', id: 2 },
            producer_version: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            model_version: { type: 'int64', id: 5 },
            graph: { type: 'GraphProto', id: 7 },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'int32', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } },
        },
        TypeProto: {
          fields: { tensor_type: { type: 'TypeProtoTensor', id: 1 } },
        },
        TypeProtoTensor: {
          fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
        },
        Dimension: {
          fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            data_type: { type: 'int32', id: 2 },
            float_data: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32_data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            int64_data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            raw_data: { type: 'bytes', id: 9 },
            external_data: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            data_location: { type: 'int32', id: 14 },
            double_data: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            uint64_data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
          },
        },
        StringStringEntryProto: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

/** ONNX TensorProto.DataType codes the importer reads. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly number[];
  readonly doubleData: readonly number[];
  readonly uint64Data: readonly number[];
  readonly rawData: Uint8Array | null;
  readonly external: boolean;
}

export interface AttributeProto {
  readonly name: string;
  readonly type: number;
  readonly f: number;
  readonly i: number;
  readonly s: Uint8Array;
  readonly t: TensorProto | null;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
  readonly strings: readonly Uint8Array[];
}

export interface NodeProto {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly AttributeProto[];
}

/** A graph input or output: name, element type (0 when absent) and dimensions (a number, a symbolic name, or null when unknown). */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string | null)[] | null;
}

export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

export interface ModelProto {
  readonly irVersion: number;
  readonly producer: string;
  /** Opset per domain ('' is the default ONNX domain). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: GraphProto;
}

// The decoded message objects, as protobufjs makes them (fields absent when not set).
interface LongLike { toNumber(): number; high: number; low: number; unsigned: boolean }
type Int64 = number | LongLike;
interface RawTensor {
  dims?: Int64[]; data_type?: number; float_data?: number[]; int32_data?: number[]; int64_data?: Int64[]; name?: string;
  raw_data?: Uint8Array; external_data?: unknown[]; data_location?: number; double_data?: number[]; uint64_data?: Int64[];
}
interface RawAttribute { name?: string; type?: number; f?: number; i?: Int64; s?: Uint8Array; t?: RawTensor; floats?: number[]; ints?: Int64[]; strings?: Uint8Array[] }
interface RawNode { input?: string[]; output?: string[]; name?: string; op_type?: string; domain?: string; attribute?: RawAttribute[] }
interface RawDim { dim_value?: Int64; dim_param?: string }
interface RawValueInfo { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: RawDim[] } } } }
interface RawGraph { node?: RawNode[]; name?: string; initializer?: RawTensor[]; input?: RawValueInfo[]; output?: RawValueInfo[] }
interface RawModel { ir_version?: Int64; opset_import?: { domain?: string; version?: Int64 }[]; producer_name?: string; producer_version?: string; graph?: RawGraph }

/** An int64 as a number: exact up to 2^53, approximate beyond (ONNX uses INT64_MAX as "to the end"). */
export function int64(v: Int64 | undefined): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  return v.toNumber();
}

function tensor(t: RawTensor): TensorProto {
  return {
    name: t.name ?? '',
    dims: (t.dims ?? []).map(int64),
    dataType: t.data_type ?? 0,
    floatData: t.float_data ?? [],
    int32Data: t.int32_data ?? [],
    int64Data: (t.int64_data ?? []).map(int64),
    doubleData: t.double_data ?? [],
    uint64Data: (t.uint64_data ?? []).map(int64),
    rawData: t.raw_data && t.raw_data.length > 0 ? t.raw_data : null,
    external: (t.data_location ?? 0) === 1 || (t.external_data ?? []).length > 0,
  };
}

function valueInfo(v: RawValueInfo): ValueInfo {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape ? (tt.shape.dim ?? []).map((d) => (d.dim_value !== undefined ? int64(d.dim_value) : d.dim_param !== undefined && d.dim_param !== '' ? d.dim_param : null)) : null;
  return { name: v.name ?? '', elemType: tt?.elem_type ?? 0, dims };
}

function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array, what: string, label: string): T {
  try {
    return type.toObject(type.decode(bytes), { defaults: false, arrays: false, bytes: Uint8Array }) as T;
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxError(`${label}: not a valid ONNX ${what} (protobuf decoding failed: ${(e as Error).message}); is the file truncated or not an .onnx file?`);
  }
}

/** Decodes an ONNX model file. Throws OnnxError for bytes that are not a well-formed ModelProto with a graph. */
export function decodeModel(bytes: Uint8Array, label: string): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError(`${label}: expected the bytes of an .onnx file (Uint8Array)`);
  if (bytes.length === 0) throw new OnnxError(`${label}: the file is empty`);
  const m = decodeMessage<RawModel>(ModelType, bytes, 'model', label);
  if (!m.graph) throw new OnnxError(`${label}: the model has no graph (is this an .onnx model file?)`);
  const opsets = new Map<string, number>();
  for (const o of m.opset_import ?? []) {
    const domain = o.domain === 'ai.onnx' ? '' : (o.domain ?? '');
    opsets.set(domain, int64(o.version));
  }
  const g = m.graph;
  return {
    irVersion: int64(m.ir_version),
    producer: [m.producer_name, m.producer_version].filter((s) => s).join(' '),
    opsets,
    graph: {
      name: g.name ?? '',
      nodes: (g.node ?? []).map((n) => ({
        name: n.name ?? '',
        opType: n.op_type ?? '',
        domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
        inputs: n.input ?? [],
        outputs: n.output ?? [],
        attributes: (n.attribute ?? []).map((a) => ({
          name: a.name ?? '',
          type: a.type ?? 0,
          f: a.f ?? 0,
          i: int64(a.i),
          s: a.s ?? new Uint8Array(0),
          t: a.t ? tensor(a.t) : null,
          floats: a.floats ?? [],
          ints: (a.ints ?? []).map(int64),
          strings: a.strings ?? [],
        })),
      })),
      initializers: (g.initializer ?? []).map(tensor),
      inputs: (g.input ?? []).map(valueInfo),
      outputs: (g.output ?? []).map(valueInfo),
    },
  };
}

/** Decodes a serialized TensorProto (the `.pb` files of ONNX's test data). */
export function decodeTensor(bytes: Uint8Array, label: string): TensorProto {
  return tensor(decodeMessage<RawTensor>(TensorType, bytes, 'tensor', label));
}
