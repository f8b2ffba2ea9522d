// One definition per uniform struct: the generated WGSL, the layout and the packer agree with
// each other and with what a real WebGPU device reads from the buffer.
import { describe, it, expect } from 'vitest';
import { gpuIt } from './helpers/gpu.js';
import { uniformStruct } from '../src/backends/webgpu/uniform_struct.js';
import { withPreludes } from '../src/backends/webgpu/shaders.js';
import type { KernelSpec } from '../src/backends/webgpu/program.js';

// Scalars of every type, an array after a scalar that is not 16-byte aligned, and a scalar after it.
const PROBE = uniformStruct('ProbeParams', { a: 'u32', b: 'i32', c: 'f32', list: ['u32', 6], last: 'u32' });

describe('uniformStruct', () => {
  it('lays out scalars at 4 bytes and arrays as 16-byte-aligned vec4s, the size a multiple of 16', () => {
    expect(PROBE.fields.map((f) => [f.name, f.offset])).toEqual([['a', 0], ['b', 4], ['c', 8], ['list', 16], ['last', 48]]);
    expect(PROBE.size).toBe(64);
    expect(uniformStruct('One', { x: 'u32' }).size).toBe(16);
    expect(uniformStruct('Five', { a: 'u32', b: 'u32', c: 'u32', d: 'u32', e: 'f32' }).size).toBe(32);
  });

  it('generates the WGSL struct from the same field list', () => {
    expect(PROBE.wgsl).toBe('struct ProbeParams {\n  a: u32,\n  b: i32,\n  c: f32,\n  list: array<vec4<u32>, 2>,\n  last: u32,\n}\n');
    expect(withPreludes('fn main() {}', PROBE)).toBe(`${PROBE.wgsl}\nfn main() {}`);
  });

  it('packs a record by field name, arrays zero-filled past their values', () => {
    const buf = PROBE.pack({ last: 9, list: [1, 2, 3], c: 0.5, b: -3, a: 7 });
    expect(buf.byteLength).toBe(64);
    const view = new DataView(buf);
    expect(view.getUint32(0, true)).toBe(7);
    expect(view.getInt32(4, true)).toBe(-3);
    expect(view.getFloat32(8, true)).toBe(0.5);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getUint32(16 + 4 * i, true))).toEqual([1, 2, 3, 0, 0, 0]);
    expect(view.getUint32(48, true)).toBe(9);
  });

  it('refuses a missing, extra or out-of-range field, naming the struct and the field', () => {
    const ok = { a: 1, b: 2, c: 3, list: [], last: 4 };
    const { last: _last, ...missing } = ok;
    expect(() => PROBE.pack(missing as typeof ok)).toThrow("ProbeParams.pack: field 'last' is missing");
    expect(() => PROBE.pack({ ...ok, extra: 1 } as typeof ok)).toThrow("ProbeParams.pack: no field 'extra'");
    expect(() => PROBE.pack({ ...ok, a: -1 })).toThrow("field 'a' = -1 is not a u32");
    expect(() => PROBE.pack({ ...ok, a: 1.5 })).toThrow("field 'a' = 1.5 is not a u32");
    expect(() => PROBE.pack({ ...ok, a: 2 ** 32 })).toThrow('is not a u32');
    expect(() => PROBE.pack({ ...ok, b: 2 ** 31 })).toThrow("field 'b' = 2147483648 is not a i32");
    expect(() => PROBE.pack({ ...ok, list: [1, 2, 3, 4, 5, 6, 7] })).toThrow("field 'list' holds at most 6 values, got 7");
    expect(() => PROBE.pack({ ...ok, list: 3 } as unknown as typeof ok)).toThrow("field 'list' must be an array");
    expect(() => PROBE.pack({ ...ok, a: [1] } as unknown as typeof ok)).toThrow("field 'a' must be a number");
  });

  it('refuses names that are not WGSL identifiers and empty or zero-length definitions', () => {
    expect(() => uniformStruct('bad name', { a: 'u32' })).toThrow('not a WGSL identifier');
    expect(() => uniformStruct('S', { 'a-b': 'u32' })).toThrow("field 'a-b' is not a WGSL identifier");
    expect(() => uniformStruct('S', {})).toThrow('no fields');
    expect(() => uniformStruct('S', { a: ['u32', 0] })).toThrow('positive length');
  });
});

// The kernel copies every field, as raw bits, into a storage buffer: what the device reads where
// the generated struct says a field is must be what `pack` wrote there.
const READ_BACK: KernelSpec = {
  name: 'uniform_struct_probe',
  code: withPreludes(
    `@group(0) @binding(0) var<uniform> u: ProbeParams;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
  out[0] = u.a;
  out[1] = bitcast<u32>(u.b);
  out[2] = bitcast<u32>(u.c);
  for (var d = 0u; d < 6u; d++) { out[3u + d] = u.list[d / 4u][d % 4u]; }
  out[9] = u.last;
}`,
    PROBE,
  ),
  entryPoint: 'main',
  bindings: ['uniform', 'write'],
};

describe('uniformStruct on the device', () => {
  gpuIt('a kernel reads every field where pack put it', async (gpu) => {
    const out = gpu.empty([10], 'probe');
    try {
      gpu.run({ kernel: READ_BACK, overrides: {}, uniforms: PROBE.pack({ a: 7, b: -3, c: 0.5, list: [11, 12, 13, 14, 15, 16], last: 9 }), workgroups: [1, 1, 1] }, [out]);
      const bits = new Uint32Array((await out.read()).buffer);
      const f = new DataView(new ArrayBuffer(4));
      f.setFloat32(0, 0.5, true);
      expect([...bits.slice(0, 10)]).toEqual([7, 0xfffffffd, f.getUint32(0, true), 11, 12, 13, 14, 15, 16, 9]);
    } finally {
      out.dispose();
    }
  });
});
