/**
 * A pure parser of the IDX format (LeCun's MNIST files): a 4-byte magic number — two zero
 * bytes, a type code, the number of dimensions — then each dimension as a big-endian u32, then
 * the values, big-endian, row-major. Every declared size is checked against the byte length
 * before anything is allocated, so a corrupt or hostile header cannot ask for gigabytes.
 */
import { WebCnnError } from '../errors.js';

/** A file is not valid IDX, or not the IDX it should be. `file` names it. */
export class IdxFormatError extends WebCnnError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly type: IdxType;
  /** Dimensions, outermost first: [N, 28, 28] for MNIST images, [N] for labels. */
  readonly dims: readonly number[];
  /** The values in row-major order (for u8, a view of the input bytes, not a copy). */
  readonly data: IdxData;
}

/** Type code (third magic byte) → element type and size in bytes. */
const TYPES: Readonly<Record<number, readonly [IdxType, number]>> = {
  0x08: ['u8', 1],
  0x09: ['i8', 1],
  0x0b: ['i16', 2],
  0x0c: ['i32', 4],
  0x0d: ['f32', 4],
  0x0e: ['f64', 8],
};

/** More dimensions than any real IDX file has; a guard against garbage headers. */
const MAX_DIMS = 16;

/** Parses one IDX file; `file` is used in error messages. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new IdxFormatError(file, `${bytes.length} bytes is too short for an IDX header (4-byte magic number)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(file, `bad magic number 0x${magic.toString(16).padStart(8, '0')}: an IDX file starts with two zero bytes (gzipped? decompress it first)`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new IdxFormatError(file, `unknown IDX type code 0x${bytes[2].toString(16)} in magic number 0x${magic.toString(16).padStart(8, '0')}`);
  const rank = bytes[3];
  if (rank < 1 || rank > MAX_DIMS) throw new IdxFormatError(file, `magic number declares ${rank} dimensions; expected 1 to ${MAX_DIMS}`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new IdxFormatError(file, `truncated header: ${rank} dimensions need ${header} header bytes, the file has ${bytes.length}`);
  }
  const [name, elemBytes] = type;
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const available = bytes.length - header;
  // In float64: at most 16 factors below 2^32, so no overflow, and anything above 2^53 is
  // rejected by the comparison anyway. Nothing is allocated before this check passes.
  const declared = dims.reduce((p, d) => p * d, 1) * elemBytes;
  if (declared !== available) {
    const kind = declared > available ? 'truncated' : 'has trailing bytes';
    throw new IdxFormatError(
      file,
      `${kind}: header declares ${name}[${dims.join('×')}] = ${declared} data bytes, the file has ${available} after the ${header}-byte header`,
    );
  }
  return { type: name, dims, data: decode(bytes.subarray(header), name, elemBytes, declared / elemBytes) };
}

function decode(body: Uint8Array, type: IdxType, elemBytes: number, n: number): IdxData {
  if (type === 'u8') return body;
  if (type === 'i8') return new Int8Array(body.buffer, body.byteOffset, n);
  const view = new DataView(body.buffer, body.byteOffset, n * elemBytes);
  switch (type) {
    case 'i16': return Int16Array.from({ length: n }, (_, i) => view.getInt16(2 * i, false));
    case 'i32': return Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, false));
    case 'f32': return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, false));
    case 'f64': return Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, false));
  }
}

/** True when `bytes` start with the gzip magic (1f 8b): the .gz files as distributed by LeCun. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
