/** WebGPU resample (shaders/resample.wgsl): one invocation per output element, up to 8 mapped axes, the maps in one table buffer. */
import resampleWgsl from '../../../../shaders/resample.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import { type ResampleAttrs, outSizeOf } from '../../../ops/resample.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** Most mapped axes: the per-axis lists are two vec4s of the uniforms. */
const MAX_AXES = 8;

/**
 * Output elements, mapped axes, the size of the kept trailing axes (`inner`) and of one outer
 * index's input block; per mapped axis its output size, its input stride and where its offsets,
 * indices and weights start in the table.
 */
const RESAMPLE_PARAMS = uniformStruct('ResampleParams', {
  count: 'u32',
  axes: 'u32',
  inner: 'u32',
  in_block: 'u32',
  fill: 'f32',
  out_sizes: ['u32', MAX_AXES],
  in_strides: ['u32', MAX_AXES],
  offsets_at: ['u32', MAX_AXES],
  index_at: ['u32', MAX_AXES],
  weights_at: ['u32', MAX_AXES],
});

const RESAMPLE: KernelSpec = { name: 'resample', code: withPreludes(resampleWgsl, RESAMPLE_PARAMS, INDEX_PRELUDE), entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'write'] };

export function resampleGpu(kc: KernelContext, [x]: readonly GpuTensor[], { axis, maps, fill }: ResampleAttrs, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  if (maps.length > MAX_AXES) throw new ShapeError('resample', `${maps.length} mapped axes are above the supported ${MAX_AXES}`);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, 'resample');
  const out = kc.empty(outShape, 'resample');
  if (count === 0) return out;
  // The table: every axis's offsets, then indices, then weights (as f32 bits).
  const parts: Uint32Array[] = [];
  const at = { offsets: [] as number[], index: [] as number[], weights: [] as number[] };
  let size = 0;
  const put = (a: Uint32Array, list: number[]) => {
    list.push(size);
    parts.push(a);
    size += a.length;
  };
  for (const m of maps) {
    put(m.offsets, at.offsets);
    put(m.index, at.index);
    put(new Uint32Array(m.weight.buffer, m.weight.byteOffset, m.weight.length), at.weights);
  }
  const table = new Uint32Array(Math.max(1, size));
  let p = 0;
  for (const a of parts) {
    table.set(a, p);
    p += a.length;
  }
  const k = maps.length;
  kc.run(
    {
      kernel: RESAMPLE,
      overrides: { WG },
      uniforms: RESAMPLE_PARAMS.pack({
        count,
        axes: k,
        inner: sizeOf(x.shape.slice(axis + k)),
        in_block: sizeOf(x.shape.slice(axis)),
        fill,
        out_sizes: maps.map(outSizeOf),
        in_strides: stridesOf(x.shape).slice(axis, axis + k),
        offsets_at: at.offsets,
        index_at: at.index,
        weights_at: at.weights,
      }),
      workgroups,
      label: 'resample',
    },
    [x, kc.auxBuffer(table, 'resample table'), out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = { resample: resampleGpu };
