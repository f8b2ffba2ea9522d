/**
 * WebGPU local response normalization across channels, forward and backward (shaders/lrn.wgsl):
 * one invocation per output value or per dx value (a gather over the windows holding it).
 * Shapes and parameters come from the pure functions in src/ops/pool.ts and
 * src/ops/pool_backward.ts, so bad input throws before any GPU work.
 */
import lrnWgsl from '../../../../shaders/lrn.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type LrnParams, type LrnConfig, inferLrn } from '../../../ops/pool.js';
import { inferLrnBackward } from '../../../ops/pool_backward.js';

/** lrn.wgsl's uniforms: x viewed as (N, C, P), P = H·W; the window is c − before .. c + after. */
const LRN_PARAMS = uniformStruct('LrnParams', {
  // N·C·P, the work items.
  count: 'u32',
  channels: 'u32', plane: 'u32', before: 'u32', after: 'u32',
  alpha_over_size: 'f32', beta: 'f32', k: 'f32',
});

// One module, two entry points.
const CODE = withPreludes(lrnWgsl, LRN_PARAMS, INDEX_PRELUDE);
const LRN: KernelSpec = { name: 'lrn', code: CODE, entryPoint: 'lrn', bindings: ['uniform', 'read', 'write'] };
const LRN_BACKWARD: KernelSpec = { name: 'lrn', code: CODE, entryPoint: 'lrn_backward', bindings: ['uniform', 'read', 'read', 'write'] };

/** Records `kernel` over the `count` values of x's shape, one per invocation. */
function runLrn(be: KernelContext, kernel: KernelSpec, g: LrnConfig, op: string, name: string | undefined, inputs: GpuTensor[], out: GpuTensor): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  if (out.size === 0) return out;
  be.run(
    {
      kernel,
      overrides: { WG },
      uniforms: LRN_PARAMS.pack({
        count: out.size,
        channels: g.c, plane: g.plane, before: g.before, after: g.after,
        alpha_over_size: g.alpha / g.size, beta: g.beta, k: g.k,
      }),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, op),
      label: name ? `${op} '${name}'` : op,
    },
    [...inputs, out],
  );
  return out;
}

export function lrnGpu(be: KernelContext, x: GpuTensor, params: LrnParams): GpuTensor {
  const g = inferLrn(x.shape, params);
  return runLrn(be, LRN, g, 'lrn', params.name, [x], be.empty(x.shape, 'lrn'));
}

export function lrnBackwardGpu(be: KernelContext, x: GpuTensor, dy: GpuTensor, params: LrnParams): GpuTensor {
  const g = inferLrnBackward(x.shape, dy.shape, params);
  return runLrn(be, LRN_BACKWARD, g, 'lrnBackward', params.name, [x, dy], be.empty(x.shape, 'lrnBackward'));
}
