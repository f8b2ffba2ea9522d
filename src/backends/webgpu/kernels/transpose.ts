/** WebGPU transpose (shaders/transpose.wgsl): one invocation per output element, any permutation of up to 8 axes. */
import transposeWgsl from '../../../../shaders/transpose.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import type { TransposeAttrs } from '../../../ops/transpose.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** Largest rank: the stride lists are two vec4s of the uniforms. */
const MAX_RANK = 8;

/** Output elements, rank, the output's row-major strides and, per output axis, the stride of the input axis it reads. */
const TRANSPOSE_PARAMS = uniformStruct('TransposeParams', { count: 'u32', rank: 'u32', out_strides: ['u32', MAX_RANK], in_strides: ['u32', MAX_RANK] });

const TRANSPOSE: KernelSpec = { name: 'transpose', code: withPreludes(transposeWgsl, TRANSPOSE_PARAMS, INDEX_PRELUDE), entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };

export function transposeGpu(kc: KernelContext, [x]: readonly GpuTensor[], { perm }: TransposeAttrs, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  if (outShape.length > MAX_RANK) throw new ShapeError('transpose', `rank ${outShape.length} is above the supported ${MAX_RANK}`);
  const count = sizeOf(outShape);
  // The grid first: a dispatch over the limit is refused before the output is allocated.
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, 'transpose');
  const out = kc.empty(outShape, 'transpose');
  if (count === 0) return out;
  const inStrides = stridesOf(x.shape);
  kc.run(
    {
      kernel: TRANSPOSE,
      overrides: { WG },
      uniforms: TRANSPOSE_PARAMS.pack({ count, rank: outShape.length, out_strides: stridesOf(outShape), in_strides: perm.map((a) => inStrides[a]) }),
      workgroups,
      label: 'transpose',
    },
    [x, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = { transpose: transposeGpu };
