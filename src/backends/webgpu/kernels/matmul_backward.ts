/**
 * WebGPU backward of dense and LeNet-5's RBF layer:
 * - denseBackward: dx = dy·W and dW = dyᵀ·x on the matmul kernels (`matmulGpu`), db = Σ_n dy
 *   with the column-sum kernel of shaders/matmul_backward.wgsl.
 * - rbfBackward: two gather kernels of shaders/matmul_backward.wgsl (over the classes for dx,
 *   over the batch for the centers' gradient).
 * Shapes are checked by the same functions as the CPU reference (src/ops/matmul_backward.ts),
 * before any GPU work.
 */
import matmulBackwardWgsl from '../../../../shaders/matmul_backward.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { matmulGpu } from './matmul.js';
import type { GradRequest } from '../../training.js';
import { wantedGrads } from '../../../ops/conv2d_backward.js';
import { inferDenseBackward, inferRbfBackward } from '../../../ops/matmul_backward.js';

/** `sum_axis`'s uniforms: x viewed as (outer, len, inner), count = outer·inner outputs. */
const SUM_AXIS_PARAMS = uniformStruct('SumAxisParams', { count: 'u32', len: 'u32', inner: 'u32' });
/** `rbf_dx` and `rbf_dcenters`' uniforms: x (n, f), centers (k, f), dy (n, k). */
const RBF_PARAMS = uniformStruct('RbfParams', { n: 'u32', f: 'u32', k: 'u32' });

// Entry points of one module share its name (and so the compiled module).
const CODE = withPreludes(matmulBackwardWgsl, SUM_AXIS_PARAMS, RBF_PARAMS, INDEX_PRELUDE);
const SUM_AXIS: KernelSpec = { name: 'matmul_backward', code: CODE, entryPoint: 'sum_axis', bindings: ['uniform', 'read', 'write'] };
const RBF_DX: KernelSpec = { name: 'matmul_backward', code: CODE, entryPoint: 'rbf_dx', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const RBF_DCENTERS: KernelSpec = { name: 'matmul_backward', code: CODE, entryPoint: 'rbf_dcenters', bindings: ['uniform', 'read', 'read', 'read', 'write'] };

/** Workgroup of the gather reductions (one output per invocation). */
const GATHER_WG = 64;

/** out[o, i] = Σ_j x[o, j, i] for x viewed as (outer, len, inner); the output has `outShape`. */
function sumAxis(be: KernelContext, x: GpuTensor, outer: number, len: number, inner: number, outShape: number[], op: string): GpuTensor {
  const out = be.empty(outShape, op);
  const count = outer * inner;
  if (count === 0) return out;
  be.run(
    {
      kernel: SUM_AXIS,
      overrides: { WG: GATHER_WG },
      uniforms: SUM_AXIS_PARAMS.pack({ count, len, inner }),
      workgroups: grid1d(ceilDiv(count, GATHER_WG), be.limits.maxComputeWorkgroupsPerDimension, op),
      label: op,
    },
    [x, out],
  );
  return out;
}

export function denseBackwardGpu(be: KernelContext, x: GpuTensor, w: GpuTensor, dy: GpuTensor, want: GradRequest): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  const { n, k: outF } = inferDenseBackward(x.shape, w.shape, dy.shape);
  const req = wantedGrads(want);
  return {
    // (N, in) = dy (N, out) · W (out, in)
    dx: req.input ? matmulGpu(be, dy, w, undefined, { name: 'denseBackward dx' }) : undefined,
    // (out, in) = dyᵀ (out, N) · x (N, in)
    dw: req.weight ? matmulGpu(be, dy, x, undefined, { transposeA: true, name: 'denseBackward dW' }) : undefined,
    // (out) = Σ_n dy (N, out): a column sum
    db: req.bias ? sumAxis(be, dy, 1, n, outF, [outF], 'denseBackward db') : undefined,
  };
}

export function rbfBackwardGpu(be: KernelContext, x: GpuTensor, centers: GpuTensor, dy: GpuTensor): { dx: GpuTensor; dcenters: GpuTensor } {
  const { n, f, k } = inferRbfBackward(x.shape, centers.shape, dy.shape);
  const uniforms = RBF_PARAMS.pack({ n, f, k });
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const gather = (kernel: KernelSpec, shape: number[], label: string): GpuTensor => {
    const out = be.empty(shape, label);
    if (out.size === 0) return out;
    be.run(
      { kernel, overrides: { WG: GATHER_WG }, uniforms, workgroups: grid1d(ceilDiv(out.size, GATHER_WG), maxDim, label), label },
      [x, centers, dy, out],
    );
    return out;
  };
  return {
    dx: gather(RBF_DX, [n, f], 'rbfBackward dx'), // (N, F)
    dcenters: gather(RBF_DCENTERS, [k, f], 'rbfBackward dcenters'), // (K, F)
  };
}
