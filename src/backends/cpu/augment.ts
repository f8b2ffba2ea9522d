/**
 * CPU reference of the seeded augmentation (see src/ops/augment.ts and shaders/augment.wgsl).
 *
 * Unlike the other CPU twins this one computes in float32, operation by operation (Math.fround),
 * in the kernel's order: augmentation is a data transform whose contract is that both backends
 * produce the same values for the same seed (the same bits for crop and flip; the jitters' a·b + c
 * may be fused into an fma by a GPU compiler, a few ulps), so the reference replays the GPU's
 * fixed-order reduction of the image mean instead of a float64 sum. (The tests also check it
 * against a plain float64 formula with a tolerance.)
 */
import type { HostTensor } from './host_tensor.js';
import { type AugmentParams, AUGMENT_WG, inferAugment, imageDraws, checkSeed } from '../../ops/augment.js';

const f32 = Math.fround;

export function augmentCpu(x: HostTensor, seed: HostTensor, params: AugmentParams = {}): HostTensor {
  const cfg = inferAugment(x.shape, seed.shape, params);
  const s = checkSeed(seed.data[0], params.name);
  const { n, c, h, w, pad } = cfg;
  const hw = h * w;
  const count = c * hw;
  const out = new Float32Array(n * count); // (N, C, H, W)
  const invCount = f32(1 / count);
  const jitter = cfg.brightness > 0 || cfg.contrast > 0;

  for (let img = 0; img < n; img++) {
    const d = imageDraws(cfg, s, img);
    const base = img * count;
    // Output element i of this image after crop and flip: a read, or a zero of the padding.
    const sample = (i: number): number => {
      const ch = Math.floor(i / hw);
      const r = i - ch * hw;
      const y = Math.floor(r / w);
      const xo = d.flip ? w - 1 - (r - y * w) : r - y * w;
      const sy = y + d.dy - pad;
      const sx = xo + d.dx - pad;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) return 0;
      return x.data[base + ch * hw + sy * w + sx];
    };

    let m = 0;
    if (cfg.contrast > 0) {
      // The kernel's reduction: invocation t sums t, t + WG, …; then a tree halves the partials.
      const partial = new Array<number>(AUGMENT_WG).fill(0);
      for (let t = 0; t < AUGMENT_WG; t++) {
        let acc = 0;
        for (let i = t; i < count; i += AUGMENT_WG) acc = f32(acc + sample(i));
        partial[t] = acc;
      }
      for (let half = AUGMENT_WG / 2; half > 0; half >>= 1) {
        for (let t = 0; t < half; t++) partial[t] = f32(partial[t] + partial[t + half]);
      }
      m = f32(partial[0] * invCount);
    }
    const shift = f32(m + d.delta);
    for (let i = 0; i < count; i++) {
      const v = sample(i);
      out[base + i] = jitter ? f32(f32(f32(v - m) * d.scale) + shift) : v;
    }
  }
  return { data: out, shape: [...x.shape] };
}
