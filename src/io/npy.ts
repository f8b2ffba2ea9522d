/**
 * NumPy's `.npy` format (version 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, a header
 * length, a Python-literal header `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * and the raw C-order data. Small and strict: the one npm package for it (npyjs) only reads, and
 * fetches over the network with a polyfill; this works on bytes, in Node and the browser, and
 * checks every size against the file before allocating.
 *
 * Reads little-endian float32/float64/int64/int32/uint8/bool; writes float32 (and int64).
 */
import { WebCnnError } from '../errors.js';

/** A malformed or unsupported .npy file. */
export class NpyError extends WebCnnError {}

export type NpyDtype = '<f4' | '<f8' | '<i8' | '<i4' | '|u1' | '|b1';

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

const BYTES: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4, '|u1': 1, '|b1': 1 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses the header dict: exactly the keys descr, fortran_order and shape. */
function parseHeader(text: string, fail: (m: string) => never): { descr: string; fortran: boolean; shape: number[] } {
  const body = text.trim();
  const m = /^\{\s*(.*?)\s*,?\s*\}$/s.exec(body);
  if (!m) fail(`header is not a Python dict: ${JSON.stringify(body.slice(0, 80))}`);
  const entries = new Map<string, string>();
  const re = /'(\w+)'\s*:\s*('[^']*'|True|False|\([^)]*\))\s*(,|$)/gy;
  const rest = m[1];
  re.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const e = re.exec(rest);
    if (!e) fail(`cannot parse header near ${JSON.stringify(rest.slice(pos, pos + 40))}`);
    if (entries.has(e[1])) fail(`header repeats the key '${e[1]}'`);
    entries.set(e[1], e[2]);
    pos = re.lastIndex;
    while (pos < rest.length && /\s/.test(rest[pos])) pos++;
  }
  for (const k of entries.keys()) if (!['descr', 'fortran_order', 'shape'].includes(k)) fail(`unexpected header key '${k}'`);
  const descr = entries.get('descr');
  const fortran = entries.get('fortran_order');
  const shape = entries.get('shape');
  if (!descr || !fortran || !shape) fail(`header needs descr, fortran_order and shape, got ${JSON.stringify(body.slice(0, 80))}`);
  const inner = shape.slice(1, -1).trim();
  const dims = inner === '' ? [] : inner.split(',').map((s) => s.trim()).filter((s, i, all) => !(s === '' && i === all.length - 1));
  if (dims.some((d) => !/^\d+$/.test(d))) fail(`shape ${shape} is not a tuple of non-negative integers`);
  return { descr: descr.slice(1, -1), fortran: fortran === 'True', shape: dims.map(Number) };
}

/** Reads a .npy file. `label` names it in errors. */
export function readNpy(bytes: Uint8Array, label = '.npy file'): NpyArray {
  const fail = (m: string): never => {
    throw new NpyError(`${label}: ${m}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected bytes (Uint8Array)');
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, start));
  const h = parseHeader(text, fail);
  if (!(h.descr in BYTES)) {
    fail(`dtype '${h.descr}' is not supported (little-endian float32 '<f4', float64 '<f8', int64 '<i8', int32 '<i4', uint8 and bool are)`);
  }
  if (h.fortran) fail('Fortran-order arrays are not supported (save with numpy.ascontiguousarray)');
  const dtype = h.descr as NpyDtype;
  const size = h.shape.reduce((p, d) => p * d, 1);
  const need = size * BYTES[dtype];
  if (bytes.length - start !== need) fail(`shape (${h.shape.join(', ')}) of ${dtype} needs ${need} data bytes, the file has ${bytes.length - start}`);
  const raw = bytes.slice(start).buffer;
  const data =
    dtype === '<f4' ? new Float32Array(raw) :
    dtype === '<f8' ? new Float64Array(raw) :
    dtype === '<i8' ? new BigInt64Array(raw) :
    dtype === '<i4' ? new Int32Array(raw) : new Uint8Array(raw);
  return { dtype, shape: h.shape, data };
}

/** Writes a C-order little-endian .npy (version 1.0): float32 from a Float32Array, int64 from a BigInt64Array. */
export function writeNpy(data: Float32Array | BigInt64Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((p, d) => p * d, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || size !== data.length) {
    throw new NpyError(`writeNpy: shape [${shape.join(',')}] does not hold ${data.length} values`);
  }
  const descr = data instanceof Float32Array ? '<f4' : '<i8';
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays use the platform's byte order; every platform webcnn runs on is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
