/** WebGPU elementwise ops: broadcasting binary ops (BINARY_OPS: add and mul with a fused activation, sub, div, …) and where. */
import elementwiseWgsl from '../../../../shaders/elementwise.wgsl?raw';
import whereWgsl from '../../../../shaders/where.wgsl?raw';
import type { Shape } from '../../../shape.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type Activation, activationOverrides, normalizeActivation } from '../../../ops/activation.js';
import { broadcastStrides, inferBinary } from '../../../ops/elementwise.js';
import { type BinaryAttrs, type BinaryOpName, binaryOpDef, binaryWgslCases } from '../../../ops/binary.js';
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

/** `where`'s uniforms: as BinaryParams, with the condition's strides too. */
const WHERE_PARAMS = uniformStruct('WhereParams', {
  count: 'u32',
  rank: 'u32',
  out_strides: ['u32', MAX_RANK],
  c_strides: ['u32', MAX_RANK],
  a_strides: ['u32', MAX_RANK],
  b_strides: ['u32', MAX_RANK],
});

const BINARY: KernelSpec = {
  name: 'elementwise',
  code: withActivation(withPreludes(elementwiseWgsl.replace('//#BINARY_CASES', binaryWgslCases()), BINARY_PARAMS, INDEX_PRELUDE)),
  entryPoint: 'binary',
  bindings: ['uniform', 'read', 'read', 'write'],
};

const WHERE: KernelSpec = { name: 'where', code: withPreludes(whereWgsl, WHERE_PARAMS, INDEX_PRELUDE), entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'read', 'write'] };

function binaryGpu(op: BinaryOpName, be: KernelContext, a: GpuTensor, b: GpuTensor, act?: Activation): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  if (outShape.length > MAX_RANK) throw new ShapeError(op, `rank ${outShape.length} is above the supported ${MAX_RANK}`);
  const cfg = normalizeActivation(op, act);
  const workgroups = grid1d(ceilDiv(sizeOf(outShape), WG), be.limits.maxComputeWorkgroupsPerDimension, op);
  const out = be.empty(outShape, op);
  if (out.size === 0) return out;
  const same = shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape);
  be.run(
    {
      kernel: BINARY,
      overrides: { WG, OP: binaryOpDef(op).code, SAME_SHAPE: same ? 1 : 0, ...activationOverrides(cfg) },
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

function whereGpu(kc: KernelContext, [c, a, b]: readonly GpuTensor[], _attrs: Record<string, never>, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  if (outShape.length > MAX_RANK) throw new ShapeError('where', `rank ${outShape.length} is above the supported ${MAX_RANK}`);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, 'where');
  const out = kc.empty(outShape, 'where');
  if (count === 0) return out;
  const [cs, as, bs] = [c, a, b].map((t) => broadcastStrides(t.shape, outShape.length));
  kc.run(
    {
      kernel: WHERE,
      overrides: { WG },
      uniforms: WHERE_PARAMS.pack({ count, rank: outShape.length, out_strides: stridesOf(outShape), c_strides: cs, a_strides: as, b_strides: bs }),
      workgroups,
      label: 'where',
    },
    [c, a, b, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = {
  binary: (kc: KernelContext, [a, b]: readonly GpuTensor[], { op, activation }: BinaryAttrs) => binaryGpu(op, kc, a, b, activation),
  where: whereGpu,
};
