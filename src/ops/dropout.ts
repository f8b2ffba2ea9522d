/**
 * Dropout in training mode: the parameter check and the counter-based hash behind its mask,
 * shared by the CPU reference (src/backends/cpu/dropout.ts) and the WebGPU kernel
 * (src/backends/webgpu/kernels/dropout.ts, shaders/dropout.wgsl), so both draw the same mask.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';

/** Dropout in training mode: what the CPU and GPU kernels need besides the data. */
export interface DropoutConfig {
  /** Drop an element when the top 24 bits of its hash are below this (round(rate·2²⁴)). */
  threshold: number;
  /** 1/(1 − rate) rounded to float32, the kept elements' mask value. */
  scale: number;
}

export function inferDropoutTrain(xShape: Shape, rate: number, seedShape: Shape): DropoutConfig {
  if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError('dropoutTrain', `rate must be in [0, 1), got ${rate}`);
  if (!shapesEqual(seedShape, [1])) {
    throw new ShapeError('dropoutTrain', `seed must have shape [1], got ${fmtShape(seedShape)} (input ${fmtShape(xShape)})`);
  }
  return { threshold: Math.round(rate * 2 ** 24), scale: Math.fround(1 / (1 - rate)) };
}

const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl17(h: number): number {
  return ((h << 17) | (h >>> 15)) >>> 0;
}

/**
 * xxHash32 of the two 32-bit words (seed, index): the counter-based random number behind
 * dropout's mask. shaders/dropout.wgsl computes the same function in u32 arithmetic, so the
 * CPU and GPU masks agree bit for bit.
 */
export function dropoutHash(seed: number, index: number): number {
  let h = (P5 + 8) >>> 0;
  h = (h + Math.imul(seed, P3)) >>> 0;
  h = Math.imul(rotl17(h), P4) >>> 0;
  h = (h + Math.imul(index, P3)) >>> 0;
  h = Math.imul(rotl17(h), P4) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, P2) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed tensor's value as the u32 the GPU sees (WGSL's u32(f32): truncate, saturate). */
export function seedToU32(v: number): number {
  if (!(v > 0)) return 0;
  return Math.min(Math.trunc(v), 0xffffffff);
}
