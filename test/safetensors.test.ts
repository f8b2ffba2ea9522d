// safetensors: round trips bit-exactly, reads what PyTorch's writer produces (dtypes, padding,
// metadata), and rejects malformed files with a typed error before allocating.
import { describe, it, expect } from 'vitest';
import { readSafetensors, writeSafetensors, SafetensorsError, createModel, ShapeError } from 'webcnn';
import { Rng } from './helpers/random.js';

function file(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata bit for bit', () => {
    const rng = new Rng(1);
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: rng.normal(6) }],
      ['b', { shape: [], data: new Float32Array([Math.PI]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    tensors.get('a.weight')!.data[0] = NaN;
    tensors.get('a.weight')!.data[1] = -0;
    const bytes = writeSafetensors(tensors, { note: 'hi' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'hi' });
    for (const [k, t] of tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(t.shape);
      expect(new Uint8Array(back.tensors.get(k)!.data.buffer)).toEqual(new Uint8Array(t.data.buffer));
    }
  });

  it('reads F16, BF16 and F64', () => {
    const data = new Uint8Array(2 + 2 + 8);
    const v = new DataView(data.buffer);
    v.setUint16(0, 0x3c00, true); // F16 1.0
    v.setUint16(2, 0xc040, true); // BF16 -3.0
    v.setFloat64(4, 0.1, true);
    const f = readSafetensors(
      file({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] }, d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] } }, data),
    );
    expect(f.tensors.get('h')!.data[0]).toBe(1);
    expect(f.tensors.get('b')!.data[0]).toBe(-3);
    expect(f.tensors.get('d')!.data[0]).toBeCloseTo(0.1, 7);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['header past the end', file({}, new Uint8Array(0)).subarray(0, 9), /runs past the end/],
    ['absurd header length', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true); return b; })(), /exceeds the/],
    ['not JSON', (() => { const b = file({}, new Uint8Array(0)); b[8] = 0x7b; b[9] = 0x7b; return b; })(), /not valid UTF-8 JSON/],
    ['unknown dtype', file({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "I64"/],
    ['size mismatch', file({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes, its range has 8/],
    ['absurd shape', file({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 20], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs .* bytes/],
    ['range past the data', file({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /truncated/],
    ['overlap', file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /overlap or leave a gap/],
    ['trailing bytes', file({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /4 bytes after the last tensor/],
  ];
  for (const [name, bytes, msg] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(SafetensorsError);
      expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(msg);
      expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(/^w\.safetensors: /);
    });
  }

  it('models save and reload their weights exactly; mismatched shapes are refused', () => {
    const a = createModel('lenet5', { seed: 1 });
    const b = createModel('lenet5', { seed: 2 });
    b.loadWeights(a.saveWeights());
    for (const [k, v] of a.getWeights()) expect(b.getWeights().get(k)).toEqual(v);
    const other = createModel('lenet', { seed: 1 });
    expect(() => other.loadWeights(a.saveWeights(), { strict: false })).toThrow(ShapeError);
  });
});
