/** WebGPU seeded augmentation: one workgroup per image (shaders/augment.wgsl). */
import augmentWgsl from '../../../../shaders/augment.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d } from '../program.js';
import { type AugmentParams, AUGMENT_WG, inferAugment } from '../../../ops/augment.js';

const AUGMENT: KernelSpec = { name: 'augment', code: augmentWgsl, entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'write'] };

/**
 * x (N, C, H, W), seed (1) → (N, C, H, W). The seed is read on the GPU when the dispatch runs,
 * so a recorded plan can rewrite it between steps; it must hold an integer in [0, 2^24).
 */
export function augmentGpu(be: WebGpuBackend, x: GpuTensor, seed: GpuTensor, params: AugmentParams = {}): GpuTensor {
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
      uniforms: packUniforms([
        ['u32', cfg.n], ['u32', cfg.c], ['u32', cfg.h], ['u32', cfg.w],
        ['u32', cfg.pad], ['u32', count],
        ['f32', cfg.brightness], ['f32', cfg.contrast], ['f32', 1 / count],
      ]),
      workgroups: grid1d(cfg.n, be.limits.maxComputeWorkgroupsPerDimension, 'augment'),
      label: params.name ? `augment ${params.name}` : 'augment',
    },
    [x, seed, out],
  );
  return out;
}
