/**
 * Seeded data augmentation (random crop of the zero-padded image, horizontal flip, brightness
 * and contrast jitter): parameter normalization, shape checks and the random draws, shared by
 * the CPU reference (src/backends/cpu/augment.ts) and the WGSL kernel (shaders/augment.wgsl).
 *
 * Randomness is counter-based: every draw is an integer hash of (seed, image index, purpose),
 * so it needs no state, is the same on every backend bit for bit (u32 arithmetic only), and a
 * recorded plan changes it by rewriting the seed tensor between steps. The seed is an integer
 * in [0, 2^24) stored in a float32 tensor of one element (every such integer is exact in f32).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';

export interface AugmentParams {
  /** Zero padding on each side before the random crop back to H×W; 0 (default) turns cropping off. */
  cropPadding?: number;
  /** Mirror each image horizontally with probability 1/2. Default false. */
  flip?: boolean;
  /** Add δ ~ U(−b, b) to every value of the image. Default 0 (off). */
  brightness?: number;
  /** Scale around the image mean by s ~ U(1−c, 1+c), c in [0, 1]. Default 0 (off). */
  contrast?: number;
  /** Layer name for error messages. */
  name?: string;
}

export interface AugmentConfig {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly pad: number;
  readonly flip: boolean;
  readonly brightness: number;
  readonly contrast: number;
}

/** Largest seed + 1: every integer below it is exact in a float32 seed tensor. */
export const MAX_SEED = 2 ** 24;

/**
 * Invocations per workgroup of the GPU kernel. The image mean is a fixed-order float32
 * reduction over this many partial sums, which the CPU reference replays exactly.
 */
export const AUGMENT_WG = 64;

/** What each draw of one image is for: the third key of the hash. */
export const Purpose = { cropY: 0, cropX: 1, flip: 2, brightness: 3, contrast: 4 } as const;

/** Checks x (N, C, H, W), the one-element seed and the parameters; returns the normalized form. */
export function inferAugment(x: Shape, seed: Shape, params: AugmentParams = {}): AugmentConfig {
  const op = 'augment';
  const layer = params.name;
  if (x.length !== 4) throw new ShapeError(op, `input must have rank 4 (N, C, H, W), got ${fmtShape(x)}`, layer);
  if (sizeOf(seed) !== 1) throw new ShapeError(op, `seed must hold exactly one value, got shape ${fmtShape(seed)}`, layer);
  const pad = params.cropPadding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) {
    throw new InvalidArgumentError(op, `cropPadding must be a non-negative integer, got ${String(params.cropPadding)}`, layer);
  }
  // 2·pad + 1 offsets are drawn with a u32 modulo; keep it far from overflow.
  if (pad > 1 << 20) throw new InvalidArgumentError(op, `cropPadding ${pad} is absurdly large (at most ${1 << 20})`, layer);
  const flip = params.flip ?? false;
  if (typeof flip !== 'boolean') throw new InvalidArgumentError(op, `flip must be a boolean, got ${JSON.stringify(flip)}`, layer);
  const brightness = params.brightness ?? 0;
  if (!(Number.isFinite(brightness) && brightness >= 0)) {
    throw new InvalidArgumentError(op, `brightness must be a finite number >= 0, got ${String(params.brightness)}`, layer);
  }
  const contrast = params.contrast ?? 0;
  if (!(contrast >= 0 && contrast <= 1)) {
    throw new InvalidArgumentError(op, `contrast must be in [0, 1], got ${String(params.contrast)}`, layer);
  }
  const [n, c, h, w] = x;
  return { n, c, h, w, pad, flip, brightness, contrast };
}

/**
 * Reads the seed value: an integer in [0, 2^24). The CPU path checks it; the GPU kernel reads
 * it with u32() (truncation), so a non-integer seed there is the caller's bug.
 */
export function checkSeed(value: number, layer?: string): number {
  if (!(Number.isInteger(value) && value >= 0 && value < MAX_SEED)) {
    throw new InvalidArgumentError('augment', `seed must be an integer in [0, 2^24), got ${value}`, layer);
  }
  return value;
}

/**
 * A 32-bit integer mixer (Chris Wellons' "lowbias32"): good avalanche, u32 multiply and shifts
 * only, so WGSL computes the same bits (`hash32` in shaders/augment.wgsl).
 */
export function hash32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The random u32 for (seed, image, purpose). Mirrors `draw()` in shaders/augment.wgsl. */
export function drawU32(seed: number, image: number, purpose: number): number {
  const h = hash32(hash32(seed) ^ (image >>> 0));
  return hash32((h + Math.imul(purpose + 1, 0x9e3779b9)) >>> 0);
}

/**
 * Uniform in [0, 1) with 24 bits: k / 2^24 is exact in float32 and float64, so both backends
 * see the same value.
 */
export function drawUniform(seed: number, image: number, purpose: number): number {
  return (drawU32(seed, image, purpose) >>> 8) / MAX_SEED;
}

/** The float32 value nearest to `v` (what a WGSL f32 holds). */
const f32 = Math.fround;

/** Everything random about one image, as the kernel computes it (float32 arithmetic). */
export interface ImageDraws {
  /** Crop offset into the padded image, in [0, 2·pad]. */
  readonly dy: number;
  readonly dx: number;
  readonly flip: boolean;
  /** Brightness shift δ = b·(2u − 1). */
  readonly delta: number;
  /** Contrast scale s = 1 + c·(2u − 1). */
  readonly scale: number;
}

export function imageDraws(cfg: AugmentConfig, seed: number, image: number): ImageDraws {
  const span = 2 * cfg.pad + 1;
  const dy = drawU32(seed, image, Purpose.cropY) % span;
  const dx = drawU32(seed, image, Purpose.cropX) % span;
  const flip = cfg.flip && drawU32(seed, image, Purpose.flip) >>> 31 === 1;
  // 2u − 1 is exact in f32 (a 25-bit dyadic with |value| <= 1); the products round as on the GPU.
  const signed = (purpose: number) => 2 * drawUniform(seed, image, purpose) - 1;
  const delta = cfg.brightness > 0 ? f32(f32(cfg.brightness) * signed(Purpose.brightness)) : 0;
  const scale = cfg.contrast > 0 ? f32(1 + f32(f32(cfg.contrast) * signed(Purpose.contrast))) : 1;
  return { dy, dx, flip, delta, scale };
}
