/**
 * A small ONNX writer for handmade test models: the protobuf wire format of the few ModelProto
 * fields the importer reads (field numbers from onnx.proto). Not a general encoder: float and
 * int64 tensors, int/float/ints/floats/string/tensor attributes, tensor value infos.
 */

export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;

class Writer {
  readonly bytes: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  len(field: number, data: readonly number[] | Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  str(field: number, s: string): this {
    return this.len(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.len(field, w.bytes);
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    for (const x of b) this.bytes.push(x);
    return this;
  }
}

export interface TensorSpec {
  name?: string;
  dims: readonly number[];
  type?: number; // FLOAT (default), INT64 or BOOL
  values: readonly number[];
}

export type AttrValue = number | string | readonly number[] | { floats: readonly number[] } | { tensor: TensorSpec } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  /** Integers are INT attributes, `{ float }` FLOAT, arrays INTS. */
  attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ValueSpec {
  name: string;
  type?: number;
  /** Dimensions: a size, or a symbol. */
  dims: readonly (number | string)[];
}

export interface ModelSpec {
  opset?: number;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  initializers?: readonly TensorSpec[];
}

function tensor(t: TensorSpec): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  const type = t.type ?? FLOAT;
  w.int(2, type);
  if (t.name) w.str(8, t.name);
  const raw = new Uint8Array(t.values.length * (type === FLOAT ? 4 : type === INT64 ? 8 : 1));
  const view = new DataView(raw.buffer);
  t.values.forEach((v, i) => {
    if (type === FLOAT) view.setFloat32(i * 4, v, true);
    else if (type === INT64) view.setBigInt64(i * 8, BigInt(v), true);
    else view.setUint8(i, v);
  });
  return w.len(9, raw);
}

function attribute(name: string, v: AttrValue): Writer {
  const w = new Writer().str(1, name);
  if (typeof v === 'number') return w.int(3, v).int(20, 2);
  if (typeof v === 'string') return w.str(4, v).int(20, 3);
  if (Array.isArray(v)) {
    for (const x of v as readonly number[]) w.int(8, x);
    return w.int(20, 7);
  }
  const o = v as { float?: number; floats?: readonly number[]; tensor?: TensorSpec };
  if (o.float !== undefined) return w.float(2, o.float).int(20, 1);
  if (o.floats) {
    for (const x of o.floats) w.float(7, x);
    return w.int(20, 6);
  }
  return w.msg(5, tensor(o.tensor!)).int(20, 4);
}

function valueInfo(v: ValueSpec): Writer {
  const shape = new Writer();
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().str(2, d));
  const tensorType = new Writer().int(1, v.type ?? FLOAT).msg(2, shape);
  return new Writer().str(1, v.name).msg(2, new Writer().msg(1, tensorType));
}

/** The bytes of an .onnx file holding this graph. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const g = new Writer();
  spec.nodes.forEach((n, i) => {
    const w = new Writer();
    for (const x of n.inputs) w.str(1, x);
    for (const x of n.outputs) w.str(2, x);
    w.str(3, n.name ?? `${n.op.toLowerCase()}${i}`).str(4, n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) w.msg(5, attribute(k, v));
    if (n.domain) w.str(7, n.domain);
    g.msg(1, w);
  });
  g.str(2, 'handmade');
  for (const t of spec.initializers ?? []) g.msg(5, tensor(t));
  for (const v of spec.inputs) g.msg(11, valueInfo(v));
  for (const v of spec.outputs) g.msg(12, valueInfo(v));
  const m = new Writer().int(1, 8).msg(8, new Writer().str(1, '').int(2, spec.opset ?? 13)).str(2, 'webcnn-test').msg(7, g);
  return Uint8Array.from(m.bytes);
}
