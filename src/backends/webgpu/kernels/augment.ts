/** WebGPU seeded augmentation: one workgroup per image (shaders/augment.wgsl). */
import augmentWgsl from '../../../../shaders/augment.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type AugmentParams, AUGMENT_WG, inferAugment } from '../../../ops/augment.js';

/** augment.wgsl's uniforms: x (n, c, h, w) and the jitters' strengths. */
const AUGMENT_PARAMS = uniformStruct('AugmentParams', {
  n: 'u32', c: 'u32', h: 'u32', w: 'u32',
  // Zero padding on each side before the crop; offsets are drawn in [0, 2·pad].
  pad: 'u32',
  // C·H·W, the values of one image.
  count: 'u32',
  brightness: 'f32',
  contrast: 'f32',
  // f32(1 / count), made on the CPU: a multiply is correctly rounded in WGSL, a divide is not.
  inv_count: 'f32',
});

const AUGMENT: KernelSpec = {
  name: 'augment',
  code: withPreludes(augmentWgsl, AUGMENT_PARAMS, INDEX_PRELUDE),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'write'],
};

/**
 * x (N, C, H, W), seed (1) → (N, C, H, W). The seed is read on the GPU when the dispatch runs,
 * so a recorded plan can rewrite it between steps; it must hold an integer in [0, 2^24).
 */
export function augmentGpu(be: KernelContext, x: GpuTensor, seed: GpuTensor, params: AugmentParams = {}): GpuTensor {
  const cfg = inferAugment(x.shape, seed.shape, params);
  be.own(x, 'augment');
  be.own(seed, 'augment', 'seed');
  const out = be.empty(x.shape, 'augment');
  if (out.size === 0) return out;
  const count = cfg.c * cfg.h * cfg.w;
  be.run(
    {
      kernel: AUGMENT,
      overrides: {
        WG: AUGMENT_WG,
        FLIP: cfg.flip ? 1 : 0,
        BRIGHT: cfg.brightness > 0 ? 1 : 0,
        CONTRAST: cfg.contrast > 0 ? 1 : 0,
      },
      uniforms: AUGMENT_PARAMS.pack({
        n: cfg.n, c: cfg.c, h: cfg.h, w: cfg.w, pad: cfg.pad, count,
        brightness: cfg.brightness, contrast: cfg.contrast, inv_count: 1 / count,
      }),
      workgroups: grid1d(cfg.n, be.limits.maxComputeWorkgroupsPerDimension, 'augment'),
      label: params.name ? `augment ${params.name}` : 'augment',
    },
    [x, seed, out],
  );
  return out;
}
