/** WebGPU elementwise ops: broadcasting add/mul, optionally with a fused activation. */
import elementwiseWgsl from '../../../../shaders/elementwise.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { type Activation, activationOverrides, normalizeActivation } from '../../../ops/activation.js';
import { type BinaryOp, inferBinary } from '../../../ops/elementwise.js';
import { shapesEqual, sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';

const WG = 256;

const BINARY: KernelSpec = {
  name: 'elementwise',
  code: withActivation(elementwiseWgsl),
  entryPoint: 'binary',
  bindings: ['uniform', 'read', 'read', 'write'],
};

function binaryGpu(op: BinaryOp, be: WebGpuBackend, a: GpuTensor, b: GpuTensor, act?: Activation): GpuTensor {
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  if (outShape.length > 8) throw new ShapeError(op, `rank ${outShape.length} is above the supported 8`);
  const cfg = normalizeActivation(op, act);
  const workgroups = grid1d(ceilDiv(sizeOf(outShape), WG), be.limits.maxComputeWorkgroupsPerDimension, op);
  const out = be.empty(outShape, op);
  const same = shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape);
  const pad8 = (s: number[]): number[] => [...s, ...new Array<number>(8 - s.length).fill(0)];
  const u = (v: number): ['u32', number] => ['u32', v];
  const outStrides = stridesOf(outShape);
  be.run(
    {
      kernel: BINARY,
      overrides: { WG, OP: op === 'mul' ? 1 : 0, SAME_SHAPE: same ? 1 : 0, ...activationOverrides(cfg) },
      uniforms: packUniforms([
        u(out.size), u(outShape.length), u(0), u(0),
        ...pad8(outStrides).map(u), ...pad8(aStrides).map(u), ...pad8(bStrides).map(u),
      ]),
      workgroups,
      label: op,
    },
    [a, b, out],
  );
  return out;
}

export function addGpu(be: WebGpuBackend, a: GpuTensor, b: GpuTensor, act?: Activation): GpuTensor {
  return binaryGpu('add', be, a, b, act);
}

export function mulGpu(be: WebGpuBackend, a: GpuTensor, b: GpuTensor): GpuTensor {
  return binaryGpu('mul', be, a, b);
}
