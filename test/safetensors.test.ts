// safetensors: round trips bit-exactly, reads what PyTorch's writer produces (dtypes, padding,
// metadata), and rejects malformed files with a typed error before allocating.
import { describe, it, expect, vi } from 'vitest';
import { readSafetensors, writeSafetensors, SafetensorsError, createModel, ShapeError, Sequential, layers } from 'webcnn';
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

  it('reads the integer and boolean dtypes PyTorch saves, as float values', () => {
    const data = new Uint8Array(8 + 4 + 2 + 1 + 1);
    const v = new DataView(data.buffer);
    v.setBigInt64(0, 123456n, true);
    v.setInt32(8, -7, true);
    v.setUint16(12, 65535, true);
    v.setInt8(14, -128);
    v.setUint8(15, 1);
    const f = readSafetensors(file({
      a: { dtype: 'I64', shape: [], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
      c: { dtype: 'U16', shape: [1], data_offsets: [12, 14] }, d: { dtype: 'I8', shape: [1], data_offsets: [14, 15] }, e: { dtype: 'BOOL', shape: [1], data_offsets: [15, 16] },
    }, data));
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => [f.tensors.get(k)!.dtype, f.tensors.get(k)!.data[0]])).toEqual([['I64', 123456], ['I32', -7], ['U16', 65535], ['I8', -128], ['BOOL', 1]]);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['header past the end', file({}, new Uint8Array(0)).subarray(0, 9), /runs past the end/],
    ['absurd header length', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true); return b; })(), /exceeds the/],
    ['not JSON', (() => { const b = file({}, new Uint8Array(0)); b[8] = 0x7b; b[9] = 0x7b; return b; })(), /not valid UTF-8 JSON/],
    ['unknown dtype', file({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "C64"/],
    ['a dtype named like an Object property', file({ x: { dtype: 'constructor', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "constructor"/],
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

  describe("a PyTorch state_dict: batch norms' num_batches_tracked counters", () => {
    // Two conv + batch norm blocks named as torchvision names them; the file adds an int64
    // counter per batch norm, as `torch.save(model.state_dict())` converted to safetensors does.
    const model = () => {
      const m = new Sequential({ inputShape: [2, 5, 5], seed: 3, name: 'tv' });
      m.add(layers.conv2d({ filters: 3, kernelSize: 3, useBias: false }), 'conv1').add(layers.batchNorm(), 'bn1');
      m.add(layers.conv2d({ filters: 2, kernelSize: 1 }), 'conv2').add(layers.batchNorm(), 'bn2');
      return m;
    };
    const stateDict = (extra: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array => {
      const header: Record<string, object> = {};
      const parts: Uint8Array[] = [];
      let at = 0;
      const add = (name: string, dtype: string, shape: number[], bytes: Uint8Array) => {
        header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
        parts.push(bytes);
        at += bytes.length;
      };
      const src = model();
      for (const [k, w] of src.getWeights()) add(k, 'F32', [...src.parameterShapes().get(k)!], new Uint8Array(Float32Array.from(w).buffer));
      for (const [k, e] of Object.entries(extra)) add(k, e.dtype, e.shape, e.bytes);
      const data = new Uint8Array(at);
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      src.dispose();
      return file(header, data);
    };
    const counter = (n: bigint, shape: number[] = []) => ({ dtype: 'I64', shape, bytes: new Uint8Array(BigInt64Array.of(n).buffer) });

    it('are left out by loadWeights and setWeights, silently; every parameter still loads', () => {
      const m = model();
      const want = model().getWeights();
      const warn = vi.spyOn(console, 'warn');
      m.loadWeights(stateDict({ 'bn1.num_batches_tracked': counter(7n), 'bn2.num_batches_tracked': counter(7n, [1]) }));
      for (const [k, v] of want) expect(m.getWeights().get(k), k).toEqual(v);
      expect(m.parameterShapes().has('bn1.num_batches_tracked')).toBe(false);
      const dict: Record<string, Float32Array> = Object.fromEntries(want);
      dict['bn1.num_batches_tracked'] = Float32Array.of(7);
      m.setWeights(dict);
      expect(warn).not.toHaveBeenCalled();
      warn.mockRestore();
      m.dispose();
    });

    it('an unknown key, a counter of no batch norm, a counter of many values or a mis-shaped parameter still fails, naming it', () => {
      const m = model();
      expect(() => m.loadWeights(stateDict({ 'bn3.num_batches_tracked': counter(1n) }))).toThrow(/has no parameter 'bn3\.num_batches_tracked'/);
      expect(() => m.loadWeights(stateDict({ 'conv1.num_batches_tracked': counter(1n) }))).toThrow(/has no parameter 'conv1\.num_batches_tracked'/);
      expect(() => m.loadWeights(stateDict({ 'fc.weight': { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) } }))).toThrow(/has no parameter 'fc\.weight'/);
      expect(() => m.loadWeights(stateDict({ 'bn1.num_batches_tracked': { dtype: 'I64', shape: [2], bytes: new Uint8Array(16) } }))).toThrow(/'bn1\.num_batches_tracked' is a batch norm's step counter, one value, but has shape \[2\]/);
      expect(() => m.setWeights({ 'bn2.num_batches_tracked': new Float32Array(3) }, { strict: false })).toThrow(/'bn2\.num_batches_tracked' is a batch norm's step counter, one value, got 3 values/);
      expect(() => m.loadWeights(file({ 'bn1.running_mean': { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16)), { strict: false })).toThrow(ShapeError);
      expect(() => m.loadWeights(file({ 'bn1.running_mean': { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16)), { strict: false })).toThrow(/parameter 'bn1\.running_mean' has shape \[4\] in the file, the model needs \[3\]/);
      expect(() => m.loadWeights(file({ 'bn1.running_mean': { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, new Uint8Array(24)), { strict: false })).toThrow(/parameter 'bn1\.running_mean' is I64 in the file/);
      m.dispose();
    });
  });
});
