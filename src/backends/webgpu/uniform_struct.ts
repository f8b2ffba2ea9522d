/**
 * One definition per uniform struct, in TypeScript: the field list generates the WGSL struct
 * (prepended to the kernel's WGSL like a prelude, see `withPreludes`) and packs a record by
 * field name into the bytes the struct reads, so the two sides cannot drift apart.
 *
 *   const LRN_PARAMS = uniformStruct('LrnParams', { count: 'u32', channels: 'u32', beta: 'f32' });
 *   LRN_PARAMS.wgsl   // "struct LrnParams {\n  count: u32,\n  channels: u32,\n  beta: f32,\n}\n"
 *   LRN_PARAMS.pack({ count: 6, channels: 3, beta: 0.75 })   // 16 bytes
 *
 * Layout follows WGSL's rules for the uniform address space: a scalar (u32, i32, f32) takes 4
 * bytes at a 4-byte boundary; an array field `['u32', n]` becomes `array<vec4<u32>, ⌈n/4⌉>`,
 * because an array in a uniform buffer needs a 16-byte element stride (WGSL reads element d as
 * `a[d / 4u][d % 4u]`, see shaders/ranked.wgsl), and starts at a 16-byte boundary; the struct's
 * size is rounded up to 16 bytes.
 */

export type ScalarType = 'u32' | 'i32' | 'f32';
/** A scalar, or an array of up to `n` scalars packed four to a vec4. */
export type FieldType = ScalarType | readonly [ScalarType, number];
export type FieldList = Readonly<Record<string, FieldType>>;

/** The record `pack` takes: a number per scalar field, at most `n` numbers per array field (the rest are 0). */
export type UniformValues<F extends FieldList> = {
  readonly [K in keyof F]: F[K] extends readonly [ScalarType, number] ? readonly number[] : number;
};

export interface StructField {
  readonly name: string;
  readonly type: ScalarType;
  /** Elements of an array field; undefined for a scalar. */
  readonly length?: number;
  /** Byte offset in the struct. */
  readonly offset: number;
}

export interface UniformStruct<F extends FieldList> {
  /** The WGSL struct's name. */
  readonly name: string;
  readonly fields: readonly StructField[];
  /** Bytes of a packed struct (a multiple of 16). */
  readonly size: number;
  /** The WGSL declaration, `struct <name> { … }`. */
  readonly wgsl: string;
  /** Packs a record holding exactly the struct's fields; throws on a missing, extra or out-of-range field. */
  pack(values: UniformValues<F>): ArrayBuffer;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

const RANGE: Record<ScalarType, (v: number) => boolean> = {
  u32: (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
  i32: (v) => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff,
  f32: (v) => typeof v === 'number',
};

function write(view: DataView, offset: number, type: ScalarType, v: number): void {
  if (type === 'f32') view.setFloat32(offset, v, true);
  else if (type === 'i32') view.setInt32(offset, v, true);
  else view.setUint32(offset, v, true);
}

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;

/** Defines a uniform struct: its WGSL text, its layout and its packer (see the module comment). */
export function uniformStruct<const F extends FieldList>(name: string, fieldTypes: F): UniformStruct<F> {
  if (!IDENTIFIER.test(name)) throw new Error(`uniformStruct: '${name}' is not a WGSL identifier`);
  const fields: StructField[] = [];
  let end = 0;
  for (const [field, t] of Object.entries(fieldTypes)) {
    if (!IDENTIFIER.test(field)) throw new Error(`uniformStruct ${name}: field '${field}' is not a WGSL identifier`);
    if (typeof t === 'string') {
      fields.push({ name: field, type: t, offset: end });
      end += 4;
    } else {
      const [type, length] = t;
      if (!Number.isInteger(length) || length < 1) throw new Error(`uniformStruct ${name}: field '${field}' needs a positive length, got ${length}`);
      const offset = roundUp(end, 16);
      fields.push({ name: field, type, length, offset });
      end = offset + 16 * Math.ceil(length / 4);
    }
  }
  if (fields.length === 0) throw new Error(`uniformStruct ${name}: no fields`);
  const size = roundUp(end, 16);
  const members = fields.map((f) => `  ${f.name}: ${f.length === undefined ? f.type : `array<vec4<${f.type}>, ${Math.ceil(f.length / 4)}>`},`);
  const wgsl = `struct ${name} {\n${members.join('\n')}\n}\n`;
  const names = new Set(fields.map((f) => f.name));

  const pack = (values: UniformValues<F>): ArrayBuffer => {
    const record = values as Readonly<Record<string, number | readonly number[]>>;
    for (const key of Object.keys(record)) {
      if (!names.has(key)) throw new Error(`${name}.pack: no field '${key}' (fields: ${[...names].join(', ')})`);
    }
    const buf = new ArrayBuffer(size);
    const view = new DataView(buf);
    for (const f of fields) {
      const v = record[f.name];
      if (v === undefined) throw new Error(`${name}.pack: field '${f.name}' is missing`);
      let items: readonly number[];
      if (f.length === undefined) {
        if (typeof v !== 'number') throw new Error(`${name}.pack: field '${f.name}' must be a number`);
        items = [v];
      } else {
        if (typeof v === 'number') throw new Error(`${name}.pack: field '${f.name}' must be an array of at most ${f.length} numbers`);
        if (v.length > f.length) throw new Error(`${name}.pack: field '${f.name}' holds at most ${f.length} values, got ${v.length}`);
        items = v;
      }
      items.forEach((item, i) => {
        if (!RANGE[f.type](item)) throw new Error(`${name}.pack: field '${f.name}' = ${item} is not a ${f.type}`);
        write(view, f.offset + 4 * i, f.type, item);
      });
    }
    return buf;
  };
  return { name, fields, size, wgsl, pack };
}
