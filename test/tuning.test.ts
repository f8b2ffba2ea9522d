// The one lookup rule of the tuning tables, and the tables' entries fitting WebGPU's defaults.
import { describe, it, expect } from 'vitest';
import {
  tuningFor, tuningKeys, MATMUL_TUNING, MATMUL_GEMV_TUNING, CONV2D_TUNING, DW_TUNING, DX_COL_TUNING, OCCUPANCY_TUNING,
} from '../src/backends/webgpu/tuning.js';
import { conv2dTileBytes } from '../src/backends/webgpu/kernels/conv2d.js';
import { matmulTilingBytes, gemvTilingBytes } from '../src/backends/webgpu/kernels/matmul.js';

const info = { vendor: 'v', architecture: 'a' };

describe('tuningFor', () => {
  it('tries vendor/architecture, then vendor, then default, then compact', () => {
    expect(tuningKeys(info)).toEqual(['v/a', 'v', 'default', 'compact']);
    expect(tuningFor({ default: 0, v: 1, 'v/a': 2 }, info)).toBe(2);
    expect(tuningFor({ default: 0, v: 1, 'v/b': 2 }, info)).toBe(1);
    expect(tuningFor({ default: 0, w: 1 }, info)).toBe(0);
  });

  it('with a fit check, takes the first entry that fits, compact last, and undefined when none does', () => {
    const table = { 'v/a': 8, default: 4, compact: 2 };
    expect(tuningFor(table, info, (n) => n <= 8)).toBe(8);
    expect(tuningFor(table, info, (n) => n <= 4)).toBe(4);
    expect(tuningFor(table, info, (n) => n <= 2)).toBe(2);
    expect(tuningFor(table, info, (n) => n <= 1)).toBeUndefined();
  });

  it('ignores keys inherited from Object.prototype', () => {
    expect(tuningFor({ default: 0 }, { vendor: 'constructor', architecture: '' })).toBe(0);
  });
});

describe('the shipped tables', () => {
  // WebGPU's default limits: 256 invocations, 256 × 256 × 64 per dimension, 16 KiB of workgroup memory.
  const fits = (x: number, y: number, bytes: number) => x * y <= 256 && x <= 256 && y <= 256 && bytes <= 16384;

  it('each have a default entry', () => {
    for (const table of [MATMUL_TUNING, MATMUL_GEMV_TUNING, CONV2D_TUNING, DW_TUNING, DX_COL_TUNING, OCCUPANCY_TUNING]) expect(table.default).toBeDefined();
  });

  it("fit WebGPU's default limits (compact entries fit compatibility mode's 128 invocations)", () => {
    for (const t of Object.values(MATMUL_TUNING)) expect(fits(t.wgX, t.wgY, matmulTilingBytes(t))).toBe(true);
    for (const t of Object.values(MATMUL_GEMV_TUNING)) expect(fits(t.splitK, t.cols, gemvTilingBytes(t))).toBe(true);
    for (const { tile } of CONV2D_TUNING.default.gemm) expect(fits(tile.wgX, tile.wgY, conv2dTileBytes(tile))).toBe(true);
    expect(MATMUL_TUNING.compact.wgX * MATMUL_TUNING.compact.wgY).toBeLessThanOrEqual(128);
    expect(MATMUL_GEMV_TUNING.compact.splitK * MATMUL_GEMV_TUNING.compact.cols).toBeLessThanOrEqual(128);
    const col = DX_COL_TUNING.default;
    expect(fits(col.wgX, col.wgY, 0)).toBe(true);
    expect(DW_TUNING.default.maxSide ** 2).toBeLessThanOrEqual(256);
  });
});
