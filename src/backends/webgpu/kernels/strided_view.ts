/** WebGPU stridedView and stridedScatter (shaders/strided_view.wgsl): one invocation per output element, up to 8 axes. */
import stridedViewWgsl from '../../../../shaders/strided_view.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import type { StridedViewAttrs } from '../../../ops/strided_view.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** Largest rank: the per-axis lists are two vec4s of the uniforms. */
const MAX_RANK = 8;

/**
 * Output elements, rank, the output's row-major strides; the read tensor's (x's, or dy's for
 * scatter) dimensions and strides; the view's start and step per axis.
 */
const STRIDED_VIEW_PARAMS = uniformStruct('StridedViewParams', {
  count: 'u32', rank: 'u32',
  out_strides: ['u32', MAX_RANK], in_dims: ['u32', MAX_RANK], in_strides: ['u32', MAX_RANK],
  start: ['i32', MAX_RANK], step: ['i32', MAX_RANK],
});

const CODE = withPreludes(stridedViewWgsl, STRIDED_VIEW_PARAMS, INDEX_PRELUDE);
const spec = (entryPoint: string): KernelSpec => ({ name: 'strided_view', code: CODE, entryPoint, bindings: ['uniform', 'read', 'write'] });
const VIEW = spec('view');
const SCATTER = spec('scatter');

function run(kernel: KernelSpec, op: string, kc: KernelContext, x: GpuTensor, { start, step }: StridedViewAttrs, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  if (outShape.length > MAX_RANK) throw new ShapeError(op, `rank ${outShape.length} is above the supported ${MAX_RANK}`);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, op);
  // A scatter of nothing is all zeros; a view of nothing is empty.
  if (sizeOf(x.shape) === 0) return kc.zeroed(outShape);
  const out = kc.empty(outShape, op);
  if (count === 0) return out;
  kc.run(
    {
      kernel,
      overrides: { WG },
      uniforms: STRIDED_VIEW_PARAMS.pack({
        count, rank: outShape.length,
        out_strides: stridesOf(outShape), in_dims: x.shape, in_strides: stridesOf(x.shape),
        start, step,
      }),
      workgroups,
      label: op,
    },
    [x, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = {
  stridedView: (kc, [x], attrs: StridedViewAttrs, outShape) => run(VIEW, 'stridedView', kc, x, attrs, outShape),
  stridedScatter: (kc, [dy], attrs: StridedViewAttrs, outShape) => run(SCATTER, 'stridedScatter', kc, dy, attrs, outShape),
};
