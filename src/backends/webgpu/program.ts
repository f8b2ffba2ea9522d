/**
 * The small uniform interface every GPU kernel has (after tfjs-backend-webgpu's programs):
 * a static `KernelSpec` (one WGSL entry point and its bindings) and, per call, a `KernelCall`
 * (specialisation constants, packed uniforms, workgroup count). Buffers are supplied apart,
 * so the same call description can be recorded eagerly or planned once by a scheduler.
 */
import { LimitExceededError } from '../../errors.js';

/** How a binding is used. Binding i of group 0 is `bindings[i]`. */
export type BindingKind = 'uniform' | 'read' | 'write';

export interface KernelSpec {
  /** Unique name of this WGSL source variant; the first part of every pipeline key. */
  readonly name: string;
  /** Full WGSL text (preludes already prepended). */
  readonly code: string;
  readonly entryPoint: string;
  /** Bindings of group 0 in order. At most one 'uniform', and it comes first. */
  readonly bindings: readonly BindingKind[];
}

export interface KernelCall {
  readonly kernel: KernelSpec;
  /** Pipeline-overridable constants. Part of the pipeline key. */
  readonly overrides: Readonly<Record<string, number>>;
  /** Contents of the uniform binding, if the kernel has one (see `packUniforms`). */
  readonly uniforms?: ArrayBuffer;
  readonly workgroups: readonly [number, number, number];
  /** A label for debugging and per-layer timing. */
  readonly label?: string;
  /** Multiply-adds the dispatch performs, when it is a product (conv2d, matmul): for `dispatchReport`. */
  readonly macs?: number;
}

/** The explicit pipeline cache key: kernel name, entry point and sorted override constants. */
export function pipelineKey(kernel: KernelSpec, overrides: Readonly<Record<string, number>>): string {
  const consts = Object.keys(overrides)
    .sort()
    .map((k) => `${k}=${overrides[k]}`)
    .join(',');
  return `${kernel.name}:${kernel.entryPoint}{${consts}}`;
}

export type UniformField = readonly ['u32' | 'i32' | 'f32', number];

/**
 * Packs 4-byte scalars in declaration order, as a WGSL struct of u32/i32/f32 fields lays them
 * out, padded to a multiple of 16 bytes: for a kernel written by hand against its own WGSL
 * struct. The built-in kernels define each uniform struct once with `uniformStruct`
 * (uniform_struct.ts), which generates the WGSL and packs by field name.
 */
export function packUniforms(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buf = new ArrayBuffer(bytes);
  const view = new DataView(buf);
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return buf;
}

/**
 * Workgroup counts for `count` workgroups in a 1-D problem, folded into y when x would exceed
 * `maxPerDim`. WGSL recovers the linear id as `wid.x + wid.y * nwg.x` and must bound-check it.
 */
export function grid1d(count: number, maxPerDim: number, what = 'dispatch'): [number, number, number] {
  const n = Math.max(1, Math.ceil(count));
  if (n <= maxPerDim) return [n, 1, 1];
  const y = Math.ceil(n / maxPerDim);
  if (y > maxPerDim) {
    throw new LimitExceededError(`${what} needs ${n} workgroups, more than ${maxPerDim}² (maxComputeWorkgroupsPerDimension²)`);
  }
  return [maxPerDim, y, 1];
}

/** Throws `LimitExceededError` if a dispatch dimension exceeds the device limit. */
export function checkWorkgroups(call: KernelCall, maxPerDim: number): void {
  for (const d of call.workgroups) {
    if (!Number.isInteger(d) || d < 0 || d > maxPerDim) {
      throw new LimitExceededError(
        `${call.label ?? call.kernel.name}: dispatch [${call.workgroups.join(',')}] exceeds maxComputeWorkgroupsPerDimension ${maxPerDim}`,
      );
    }
  }
}

/** The limits a workgroup's shape must respect. */
export type WorkgroupLimits = Pick<
  GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupSizeY' | 'maxComputeWorkgroupSizeZ'
>;

/**
 * Workgroup size of a kernel with one invocation per work item (elementwise, copies, gathers):
 * 256, or the largest power of two the device allows when that is less (WebGPU's compatibility
 * mode allows 128). Dispatch counts must be computed from the same value.
 */
export function flatWorkgroup(limits: WorkgroupLimits): number {
  const cap = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  let wg = 1;
  while (wg * 2 <= cap) wg *= 2;
  return wg;
}

const WORKGROUP_SIZE = /@workgroup_size\(([^)]*)\)\s*fn\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const sizeTerms = new WeakMap<KernelSpec, readonly string[]>();

/** The terms of the entry point's `@workgroup_size(...)`: override names or integer literals. */
function workgroupSizeTerms(kernel: KernelSpec): readonly string[] {
  let terms = sizeTerms.get(kernel);
  if (!terms) {
    terms = [];
    for (const m of kernel.code.matchAll(WORKGROUP_SIZE)) {
      if (m[2] === kernel.entryPoint) terms = m[1].split(',').map((t) => t.trim()).filter((t) => t !== '');
    }
    sizeTerms.set(kernel, terms);
  }
  return terms;
}

/** A workgroup size term's value: an integer literal, the call's override, or the override's declared default. */
function termValue(term: string, kernel: KernelSpec, overrides: Readonly<Record<string, number>>): number {
  const literal = /^(\d+)[ui]?$/.exec(term);
  if (literal) return Number(literal[1]);
  if (Object.hasOwn(overrides, term)) return overrides[term];
  const declared = new RegExp(`override\\s+${term}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(kernel.code);
  return declared ? Number(declared[1]) : NaN;
}

/**
 * Throws `LimitExceededError` if the call's workgroup (its entry point's `@workgroup_size` with
 * the call's override constants) exceeds the device's invocation or size limits: a kernel that
 * does not adapt its workgroup to the limits is named here, before any pipeline is made.
 */
export function checkWorkgroupSize(call: KernelCall, limits: WorkgroupLimits): void {
  const size = workgroupSizeTerms(call.kernel).map((t) => termValue(t, call.kernel, call.overrides));
  if (size.length === 0 || size.some((v) => !Number.isFinite(v))) return; // not a form this check reads
  const [x = 1, y = 1, z = 1] = size;
  const maxes = [limits.maxComputeWorkgroupSizeX, limits.maxComputeWorkgroupSizeY, limits.maxComputeWorkgroupSizeZ];
  if (x * y * z > limits.maxComputeInvocationsPerWorkgroup || [x, y, z].some((v, i) => v > maxes[i])) {
    throw new LimitExceededError(
      `${call.label ?? call.kernel.name}: a ${x}×${y}×${z} workgroup (${call.kernel.name}:${call.kernel.entryPoint}) exceeds this device's limits ` +
        `(maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupSize ${maxes.join('×')})`,
    );
  }
}

/**
 * Workgroup size of a kernel that reduces one row per workgroup (softmax, the losses): the row
 * length rounded up to a power of two, in [32, 256] and within the device's invocation limit.
 */
export function rowWorkgroup(rowLength: number, maxInvocations: number): number {
  const cap = Math.min(256, maxInvocations);
  let wg = 1;
  while (wg * 2 <= cap && (wg < 32 || wg < rowLength)) wg *= 2;
  return wg;
}

/** ceil(a / b) for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}
