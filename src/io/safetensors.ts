/**
 * safetensors, the weights format of Hugging Face and PyTorch users: an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__}`
 * and the raw little-endian data. No maintained JavaScript implementation exists on npm (the
 * one package is an unmaintained 0.0.1), so this is ours: small, and strict about every size
 * before it allocates anything, because files come from users.
 *
 * Reads F32, F16, BF16 and F64, and the integer and boolean dtypes PyTorch saves (a batch
 * norm's int64 step counter), all converted to Float32Array (integers exact up to 2^24); writes F32.
 */
import { WebCnnError } from '../errors.js';
import { halfToFloat } from '../util/numeric.js';

/** A malformed, truncated or hostile safetensors file. */
export class SafetensorsError extends WebCnnError {}

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The element types a file may hold. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** A tensor as read: its values as float32, and the element type the file stores. */
export interface StoredTensor extends NamedTensor {
  readonly dtype: SafetensorsDtype;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string>;
}

/** The header may not exceed this (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

export const isFloatDtype = (d: SafetensorsDtype): boolean => d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';

/** Reads element i of a tensor of `dtype` starting at byte `base` (little-endian) as a number. */
function readElement(view: DataView, dtype: SafetensorsDtype, base: number, i: number): number {
  switch (dtype) {
    case 'F32': return view.getFloat32(base + 4 * i, true);
    case 'F64': return view.getFloat64(base + 8 * i, true);
    case 'F16': return halfToFloat(view.getUint16(base + 2 * i, true));
    case 'BF16': return bfloatToFloat(view.getUint16(base + 2 * i, true));
    case 'I64': return Number(view.getBigInt64(base + 8 * i, true));
    case 'U64': return Number(view.getBigUint64(base + 8 * i, true));
    case 'I32': return view.getInt32(base + 4 * i, true);
    case 'U32': return view.getUint32(base + 4 * i, true);
    case 'I16': return view.getInt16(base + 2 * i, true);
    case 'U16': return view.getUint16(base + 2 * i, true);
    case 'I8': return view.getInt8(base + i);
    case 'U8': case 'BOOL': return view.getUint8(base + i);
  }
}

const bfloatBits = new DataView(new ArrayBuffer(4));
function bfloatToFloat(bits: number): number {
  bfloatBits.setUint32(0, bits << 16, true);
  return bfloatBits.getFloat32(0, true);
}


/**
 * Parses a safetensors file. `label` names the file in errors. Throws `SafetensorsError` for
 * anything inconsistent: header length beyond the file or the limit, invalid JSON, unknown
 * dtype, shapes whose size disagrees with the byte range, ranges outside the data, overlapping
 * or with gaps, bytes left over.
 */
export function readSafetensors(bytes: Uint8Array, label = 'safetensors file'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${label}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected bytes (Uint8Array)');
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must be an object of strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof v !== 'object' || v === null) fail(`tensor '${name}' must be an object`);
    const { dtype, shape, data_offsets: offsets } = v;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0) || shape.length > 8) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0) || offsets[0] > offsets[1]) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} of the data, which has only ${dataLen} bytes (truncated?)`);
    // Size check in floating point first: an absurd shape must not overflow into a match.
    const count = (shape as number[]).reduce((p, d) => p * d, 1);
    const bytesEach = DTYPE_BYTES[dtype as SafetensorsDtype];
    if (count * bytesEach !== end - begin) {
      fail(`tensor '${name}' of shape [${(shape as number[]).join(',')}] ${dtype} needs ${count * bytesEach} bytes, its range has ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  // The ranges must tile the data exactly (what the reference implementation enforces).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) fail(`tensor '${e.name}' starts at byte ${e.begin}, expected ${at} (ranges overlap or leave a gap)`);
    at = e.end;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes after the last tensor are not described by the header`);

  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) {
    const n = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
    const out = new Float32Array(n);
    const base = dataStart + e.begin;
    for (let i = 0; i < n; i++) out[i] = readElement(view, e.dtype, base, i);
    tensors.set(e.name, { shape: e.shape, data: out, dtype: e.dtype });
  }
  return { tensors, metadata };
}

/** Writes tensors as F32 safetensors, in the given order, with optional string metadata. */
export function writeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (count !== t.data.length) throw new SafetensorsError(`writeSafetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(',')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to 8 bytes so the data is aligned (as the reference writer does).
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += 4 * t.data.length;
  }
  return out;
}
