// Seeded augmentation: the WebGPU kernel against the CPU reference (same hash, same f32 operation
// order: bit for bit for crop and flip, within the rounding that fused multiply-adds may change
// for the jitters), the geometry of crop and flip, identity when everything is off, seed
// sensitivity, the statistics of the draws, and the errors for bad input.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, type WebGpuBackend } from 'webcnn';
import { gpuIt, counts } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';
import { augmentGpu } from '../src/backends/webgpu/kernels/augment.js';
import { augmentCpu } from '../src/backends/cpu/augment.js';
import { type AugmentParams, inferAugment, imageDraws, drawU32, hash32 } from '../src/ops/augment.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu_tensor.js';

type Shape4 = [number, number, number, number];
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

async function runGpu(gpu: WebGpuBackend, x: Float32Array, shape: Shape4, seed: number, params: AugmentParams): Promise<Float32Array> {
  const xt = gpu.upload(x, shape);
  const st = gpu.upload([seed], [1]);
  const out = augmentGpu(gpu, xt, st, params);
  try {
    expect(out.shape).toEqual(shape);
    return await out.read();
  } finally {
    out.dispose();
    xt.dispose();
    st.dispose();
  }
}

function runCpu(x: Float32Array, shape: Shape4, seed: number, params: AugmentParams): Float32Array {
  const out = augmentCpu({ data: x, shape }, { data: new Float32Array([seed]), shape: [1] }, params);
  expect(out.shape).toEqual(shape);
  return out.data;
}

/** Exact equality of the bits (so -0 vs 0 and NaN payloads would count), with a useful report. */
function expectSameBits(got: Float32Array, ref: Float32Array, label: string): void {
  expect(got.length, label).toBe(ref.length);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) expect.fail(`${label}: ${bad} of ${a.length} values differ; first at ${first}: gpu ${got[first]} vs cpu ${ref[first]}`);
}

const U = 2 ** -24; // f32 unit roundoff: round to nearest is within U·|value|, one ulp is at most 2U·|value|

/**
 * How far a conforming GPU may be from the CPU reference for these params on inputs with
 * |x| <= xMax. Crop and flip are copies and the mean is a sum in a fixed order (no product to
 * contract), so without jitter the bits must match. The jitter steps are
 *   s = 1 + c·r,  d = b·r',  m = Σ·(1/n),  shift = m + d,  out = (v − m)·s + shift,
 * and WGSL lets a compiler fuse a product into the add or subtract that uses it (an FMA skips
 * the product's rounding). Each fused step then differs by at most the skipped rounding plus one
 * ulp of its result: with S = 1 + c >= |s|, A = 2·xMax >= |v − m| and B = xMax + b >= |m| + |d|,
 *   |Δs| <= U·c + 2U·S,  |Δ(v − m)| <= U·|m| + 2U·A,  |Δshift| <= U·B + 2U·B,
 *   |Δout| <= A·|Δs| + S·|Δ(v − m)| + |Δshift| + U·A·S + 2U·(A·S + B) <= 10U·(A·S + B).
 * (No division, and sums and products are correctly rounded in WGSL.)
 */
function contractionBound(params: AugmentParams, xMax: number): number {
  if (!params.brightness && !params.contrast) return 0;
  const S = 1 + (params.contrast ?? 0);
  const A = 2 * xMax;
  const B = xMax + (params.brightness ?? 0);
  return 10 * U * (A * S + B);
}

/** Bits equal when `bound` is 0; otherwise within `bound` everywhere (the report names the worst). */
function expectAugmentMatch(got: Float32Array, ref: Float32Array, bound: number, label: string): void {
  if (bound === 0) expectSameBits(got, ref, label);
  else expectClose(got, ref, { atol: bound, rtol: 0 }, label);
}

const maxAbs = (x: Float32Array) => x.reduce((p, v) => Math.max(p, Math.abs(v)), 0);

/** The same augmentation written plainly in float64 from the draws: checks the reference's meaning. */
function plainFloat64(x: Float32Array, shape: Shape4, seed: number, params: AugmentParams): Float64Array {
  const cfg = inferAugment(shape, [1], params);
  const [n, c, h, w] = shape;
  const out = new Float64Array(size(shape));
  for (let img = 0; img < n; img++) {
    const d = imageDraws(cfg, seed, img);
    const v = new Float64Array(c * h * w);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xo = 0; xo < w; xo++) {
          const sy = y + d.dy - cfg.pad;
          const sx = (d.flip ? w - 1 - xo : xo) + d.dx - cfg.pad;
          const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          v[(ch * h + y) * w + xo] = inside ? x[((img * c + ch) * h + sy) * w + sx] : 0;
        }
      }
    }
    const mean = cfg.contrast > 0 ? v.reduce((p, q) => p + q, 0) / v.length : 0;
    for (let i = 0; i < v.length; i++) out[img * v.length + i] = (v[i] - mean) * d.scale + mean + d.delta;
  }
  return out;
}

const PARAMS: AugmentParams[] = [
  {},
  { cropPadding: 2 },
  { cropPadding: 4, flip: true },
  { flip: true },
  { brightness: 0.3 },
  { contrast: 0.4 },
  { brightness: 0.2, contrast: 0.5 },
  { cropPadding: 3, flip: true, brightness: 0.25, contrast: 0.3 },
];
const SHAPES: Shape4[] = [
  [3, 1, 28, 28],
  [2, 3, 7, 5],
  [5, 2, 9, 11],
  [1, 1, 1, 1],
];
const SEEDS = [0, 1, 12345, 2 ** 24 - 1];

describe('augment: GPU == CPU (bit for bit, or within the contraction bound for jitters)', () => {
  const rng = new Rng(7);
  for (const params of PARAMS) {
    for (const shape of SHAPES) {
      gpuIt(`augment ${JSON.stringify(params)} ${JSON.stringify(shape)}`, async (gpu) => {
        const x = rng.uniform(size(shape), -1, 2);
        for (const seed of SEEDS) {
          counts.comparisons++;
          const ref = runCpu(x, shape, seed, params);
          const got = await runGpu(gpu, x, shape, seed, params);
          expectAugmentMatch(got, ref, contractionBound(params, maxAbs(x)), `seed ${seed}`);
        }
      });
    }
  }

  gpuIt('augment {all} on a batch larger than the workgroup, 3 channels, 33×31', async (gpu) => {
    const shape: Shape4 = [70, 3, 33, 31];
    const x = new Rng(8).uniform(size(shape), 0, 1);
    const params = { cropPadding: 5, flip: true, brightness: 0.1, contrast: 0.9 };
    counts.comparisons++;
    expectAugmentMatch(await runGpu(gpu, x, shape, 424242, params), runCpu(x, shape, 424242, params), contractionBound(params, maxAbs(x)), 'batch 70');
  });

  gpuIt('augment reads the seed when the dispatch runs: rewriting the seed buffer changes the result', async (gpu) => {
    const shape: Shape4 = [4, 1, 6, 6];
    const x = new Rng(9).uniform(size(shape));
    const params = { cropPadding: 2, flip: true, brightness: 0.5, contrast: 0.5 };
    const xt = gpu.tensor(x, shape);
    const st = gpu.tensor([5], [1]) as GpuTensor;
    try {
      for (const seed of [5, 6, 77]) {
        gpu.device.queue.writeBuffer(st.buffer, 0, new Float32Array([seed]));
        const out = augmentGpu(gpu, xt as GpuTensor, st, params);
        counts.comparisons++;
        expectAugmentMatch(await out.read(), runCpu(x, shape, seed, params), contractionBound(params, maxAbs(x)), `rewritten seed ${seed}`);
        out.dispose();
      }
    } finally {
      xt.dispose();
      st.dispose();
    }
  });

  it('the CPU reference means the plain float64 formula (within float32 rounding)', () => {
    const rng = new Rng(10);
    for (const params of PARAMS) {
      for (const shape of SHAPES) {
        const x = rng.uniform(size(shape), -1, 2);
        const ref = plainFloat64(x, shape, 99, params);
        const got = runCpu(x, shape, 99, params);
        for (let i = 0; i < ref.length; i++) {
          if (!(Math.abs(got[i] - ref[i]) <= 1e-5 + 1e-5 * Math.abs(ref[i]))) {
            expect.fail(`${JSON.stringify(params)} ${JSON.stringify(shape)} at ${i}: ${got[i]} vs ${ref[i]}`);
          }
        }
      }
    }
  });
});

describe('augment: geometry and identity', () => {
  gpuIt('augment {} and all-off params return the input unchanged', async (gpu) => {
    const shape: Shape4 = [3, 2, 5, 7];
    const x = new Rng(11).uniform(size(shape), -3, 3);
    for (const params of [{}, { cropPadding: 0, flip: false, brightness: 0, contrast: 0 }]) {
      expectSameBits(await runGpu(gpu, x, shape, 31, params), x, `gpu ${JSON.stringify(params)}`);
      expectSameBits(runCpu(x, shape, 31, params), x, `cpu ${JSON.stringify(params)}`);
    }
  });

  gpuIt('augment {cropPadding: 2} moves the content by the drawn offset, filling with zeros', async (gpu) => {
    // One lit pixel at (4, 5) of an 8×9 image; 40 copies, each cropped differently.
    const [n, h, w] = [40, 8, 9];
    const shape: Shape4 = [n, 1, h, w];
    const x = new Float32Array(size(shape));
    for (let i = 0; i < n; i++) x[i * h * w + 4 * w + 5] = 1;
    const params = { cropPadding: 2 };
    const out = await runGpu(gpu, x, shape, 2024, params);
    const cfg = inferAugment(shape, [1], params);
    const shifts = new Set<string>();
    for (let i = 0; i < n; i++) {
      const { dy, dx } = imageDraws(cfg, 2024, i);
      expect(dy >= 0 && dy <= 4 && dx >= 0 && dx <= 4).toBe(true);
      const img = out.subarray(i * h * w, (i + 1) * h * w);
      // The pixel moves by (pad − d): output (y, x) reads input (y + d − pad, x + d − pad).
      const at = (4 - (dy - 2)) * w + (5 - (dx - 2));
      expect(img[at], `image ${i}`).toBe(1);
      expect(img.reduce((p, v) => p + v, 0), `image ${i} has one lit pixel`).toBe(1);
      shifts.add(`${dy},${dx}`);
    }
    expect(shifts.size).toBeGreaterThan(10);
    // The border: a constant image cropped with offset (0, 0) gets zero rows and columns on top and left.
    const ones = new Float32Array(size(shape)).fill(1);
    const crop = await runGpu(gpu, ones, shape, 2024, params);
    for (let i = 0; i < n; i++) {
      const { dy, dx } = imageDraws(cfg, 2024, i);
      const zeros = crop.subarray(i * h * w, (i + 1) * h * w).filter((v) => v === 0).length;
      const rows = Math.abs(dy - 2);
      const cols = Math.abs(dx - 2);
      expect(zeros, `image ${i}`).toBe(rows * w + cols * h - rows * cols);
    }
  });

  gpuIt('augment {flip: true} mirrors rows exactly or leaves the image alone, about half of each', async (gpu) => {
    const [n, c, h, w] = [400, 2, 3, 5];
    const shape: Shape4 = [n, c, h, w];
    const x = new Rng(12).uniform(size(shape));
    const out = await runGpu(gpu, x, shape, 77, { flip: true });
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      let same = true;
      let mirrored = true;
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          for (let xo = 0; xo < w; xo++) {
            const o = out[((i * c + ch) * h + y) * w + xo];
            same &&= o === x[((i * c + ch) * h + y) * w + xo];
            mirrored &&= o === x[((i * c + ch) * h + y) * w + (w - 1 - xo)];
          }
        }
      }
      expect(same !== mirrored, `image ${i} is exactly one of identity / mirror`).toBe(true);
      if (mirrored) flipped++;
    }
    // Binomial(400, 1/2): sd 10; 4.5 sd either side.
    expect(flipped).toBeGreaterThan(155);
    expect(flipped).toBeLessThan(245);
  });

  gpuIt('augment: different seeds give different results, the same seed the same', async (gpu) => {
    const shape: Shape4 = [6, 1, 10, 10];
    const x = new Rng(13).uniform(size(shape));
    const params = { cropPadding: 2, flip: true, brightness: 0.1, contrast: 0.2 };
    const a = await runGpu(gpu, x, shape, 100, params);
    const again = await runGpu(gpu, x, shape, 100, params);
    expectSameBits(again, a, 'same seed');
    for (const seed of [101, 200, 2 ** 23]) {
      const b = await runGpu(gpu, x, shape, seed, params);
      let differ = 0;
      for (let i = 0; i < 6; i++) {
        const ia = a.subarray(i * 100, (i + 1) * 100);
        const ib = b.subarray(i * 100, (i + 1) * 100);
        if (ia.some((v, j) => v !== ib[j])) differ++;
      }
      expect(differ, `seed ${seed} vs 100: images that differ`).toBe(6);
    }
  });
});

describe('augment: statistics of the draws', () => {
  it('crop offsets, flips and jitters are uniform over their ranges and independent of each other', () => {
    const cfg = inferAugment([1, 1, 4, 4], [1], { cropPadding: 2, flip: true, brightness: 0.5, contrast: 0.25 });
    const n = 20_000;
    const dyHist = new Array<number>(5).fill(0);
    const dxHist = new Array<number>(5).fill(0);
    let flips = 0;
    let sumDelta = 0;
    let sumScale = 0;
    let same = 0;
    let minD = Infinity;
    let maxD = -Infinity;
    let minS = Infinity;
    let maxS = -Infinity;
    for (let i = 0; i < n; i++) {
      const d = imageDraws(cfg, 4321, i);
      dyHist[d.dy]++;
      dxHist[d.dx]++;
      if (d.dy === d.dx) same++;
      if (d.flip) flips++;
      sumDelta += d.delta;
      sumScale += d.scale;
      minD = Math.min(minD, d.delta);
      maxD = Math.max(maxD, d.delta);
      minS = Math.min(minS, d.scale);
      maxS = Math.max(maxS, d.scale);
    }
    // Each offset has p = 1/5: 4000 ± 57 (sd); allow 5 sd.
    for (const hist of [dyHist, dxHist]) for (const k of hist) expect(Math.abs(k - 4000)).toBeLessThan(290);
    // dy and dx independent: P(dy = dx) = 1/5.
    expect(Math.abs(same - 4000)).toBeLessThan(290);
    expect(Math.abs(flips - 10_000)).toBeLessThan(360);
    // U(-0.5, 0.5): mean 0 ± 0.002 (sd); U(0.75, 1.25): mean 1.
    expect(Math.abs(sumDelta / n)).toBeLessThan(0.011);
    expect(Math.abs(sumScale / n - 1)).toBeLessThan(0.006);
    expect(minD).toBeGreaterThanOrEqual(-0.5);
    expect(maxD).toBeLessThan(0.5);
    expect(minD).toBeLessThan(-0.49);
    expect(maxD).toBeGreaterThan(0.49);
    expect(minS).toBeGreaterThanOrEqual(0.75);
    expect(maxS).toBeLessThan(1.25);
  });

  it('the hash spreads neighbouring seeds and images (avalanche)', () => {
    expect(hash32(0)).toBe(0);
    expect(hash32(1)).not.toBe(hash32(2));
    // Flipping one input bit flips about half of the output bits.
    let bits = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const a = drawU32(i, 0, 0);
      const b = drawU32(i, 1, 0);
      let d = (a ^ b) >>> 0;
      while (d) {
        bits += d & 1;
        d >>>= 1;
      }
    }
    expect(bits / trials).toBeGreaterThan(15);
    expect(bits / trials).toBeLessThan(17);
  });
});

describe('augment: bad input', () => {
  const x = { data: new Float32Array(2 * 3 * 4), shape: [2, 1, 3, 4] };
  const seed = { data: new Float32Array([3]), shape: [1] };
  const cases: [string, () => unknown, RegExp | string][] = [
    ['rank 3 input', () => augmentCpu({ data: new Float32Array(12), shape: [1, 3, 4] }, seed, {}), "augment: input must have rank 4 (N, C, H, W), got [1,3,4]"],
    ['seed of two values', () => augmentCpu(x, { data: new Float32Array(2), shape: [2] }, {}), 'augment: seed must hold exactly one value, got shape [2]'],
    ['negative padding', () => augmentCpu(x, seed, { cropPadding: -1, name: 'aug' }), "augment 'aug': cropPadding must be a non-negative integer, got -1"],
    ['fractional padding', () => augmentCpu(x, seed, { cropPadding: 1.5 }), 'augment: cropPadding must be a non-negative integer, got 1.5'],
    ['negative brightness', () => augmentCpu(x, seed, { brightness: -0.1 }), 'augment: brightness must be a finite number >= 0, got -0.1'],
    ['contrast above 1', () => augmentCpu(x, seed, { contrast: 1.5 }), 'augment: contrast must be in [0, 1], got 1.5'],
    ['NaN contrast', () => augmentCpu(x, seed, { contrast: NaN }), 'augment: contrast must be in [0, 1], got NaN'],
  ];
  for (const [what, fn, msg] of cases) {
    it(`rejects ${what}`, () => {
      expect(fn).toThrow(typeof msg === 'string' ? msg : msg);
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err instanceof ShapeError || err instanceof InvalidArgumentError).toBe(true);
    });
  }

  it('the CPU path rejects a seed that is not an integer in [0, 2^24)', () => {
    for (const bad of [-1, 0.5, 2 ** 24, NaN]) {
      expect(() => augmentCpu(x, { data: new Float32Array([bad]), shape: [1] }, {})).toThrow(InvalidArgumentError);
    }
    expect(() => augmentCpu(x, { data: new Float32Array([0.5]), shape: [1] }, {})).toThrow('augment: seed must be an integer in [0, 2^24), got 0.5');
  });

  gpuIt('augment on the GPU throws the same errors before any GPU work', async (gpu) => {
    const xt = gpu.tensor(new Float32Array(24), [2, 1, 3, 4]) as GpuTensor;
    const x3 = gpu.tensor(new Float32Array(12), [1, 3, 4]) as GpuTensor;
    const s1 = gpu.tensor([3], [1]) as GpuTensor;
    const s2 = gpu.tensor([3, 4], [2]) as GpuTensor;
    const before = gpu.memoryInfo().buffers;
    try {
      expect(() => augmentGpu(gpu, x3, s1, {})).toThrow('augment: input must have rank 4 (N, C, H, W), got [1,3,4]');
      expect(() => augmentGpu(gpu, xt, s2, {})).toThrow('augment: seed must hold exactly one value, got shape [2]');
      expect(() => augmentGpu(gpu, xt, s1, { cropPadding: -1, name: 'aug' })).toThrow("augment 'aug': cropPadding must be a non-negative integer, got -1");
      expect(() => augmentGpu(gpu, xt, s1, { contrast: 2 })).toThrow(InvalidArgumentError);
      expect(gpu.memoryInfo().buffers, 'no output buffer was allocated').toBe(before);
    } finally {
      for (const t of [xt, x3, s1, s2]) t.dispose();
    }
  });
});
