/** WebGPU elementwise ops: broadcasting add/mul, optionally with a fused activation. */
import elementwiseWgsl from '../../../../shaders/elementwise.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type Activation, activationOverrides, normalizeActivation } from '../../../ops/activation.js';
import { type BinaryOp, inferBinary } from '../../../ops/elementwise.js';
import { shapesEqual, sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';

/** Largest rank of a broadcasting op: its stride lists are two vec4s in the uniforms. */
const MAX_RANK = 8;

/** `binary`'s uniforms: output elements, rank, and row-major strides of the output and of each input (0 on broadcast dimensions). */
const BINARY_PARAMS = uniformStruct('BinaryParams', {
  count: 'u32',
  rank: 'u32',
  out_strides: ['u32', MAX_RANK],
  a_strides: ['u32', MAX_RANK],
  b_strides: ['u32', MAX_RANK],
});

const WG = 256;

const BINARY: KernelSpec = {
  name: 'elementwise',
  code: withActivation(withPreludes(elementwiseWgsl, BINARY_PARAMS, INDEX_PRELUDE)),
  entryPoint: 'binary',
  bindings: ['uniform', 'read', 'read', 'write'],
};

function binaryGpu(op: BinaryOp, be: KernelContext, a: GpuTensor, b: GpuTensor, act?: Activation): GpuTensor {
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  if (outShape.length > MAX_RANK) throw new ShapeError(op, `rank ${outShape.length} is above the supported ${MAX_RANK}`);
  const cfg = normalizeActivation(op, act);
  const workgroups = grid1d(ceilDiv(sizeOf(outShape), WG), be.limits.maxComputeWorkgroupsPerDimension, op);
  const out = be.empty(outShape, op);
  const same = shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape);
  be.run(
    {
      kernel: BINARY,
      overrides: { WG, OP: op === 'mul' ? 1 : 0, SAME_SHAPE: same ? 1 : 0, ...activationOverrides(cfg) },
      uniforms: BINARY_PARAMS.pack({ count: out.size, rank: outShape.length, out_strides: stridesOf(outShape), a_strides: aStrides, b_strides: bStrides }),
      workgroups,
      label: op,
    },
    [a, b, out],
  );
  return out;
}

export function addGpu(be: KernelContext, a: GpuTensor, b: GpuTensor, act?: Activation): GpuTensor {
  return binaryGpu('add', be, a, b, act);
}

export function mulGpu(be: KernelContext, a: GpuTensor, b: GpuTensor): GpuTensor {
  return binaryGpu('mul', be, a, b);
}
