/**
 * WGSL sources, imported as strings (inlined by the bundler; no runtime fetch), and the
 * prelude composition: a kernel's WGSL is its preludes followed by its own code. Preludes are
 * the uniform structs generated from their TypeScript definitions (`uniformStruct`), shared
 * helpers such as `INDEX_PRELUDE`, and, for kernels that fuse an activation, `activation.wgsl`
 * with its `case` arms generated from the activation table (src/ops/activation.ts).
 */
import activationWgsl from '../../../shaders/activation.wgsl?raw';
import ieeeWgsl from '../../../shaders/ieee.wgsl?raw';
import indexWgsl from '../../../shaders/index.wgsl?raw';
import { activationWgslCases } from '../../ops/activation.js';

const activationPrelude = `${ieeeWgsl}\n${activationWgsl.replace('//#ACTIVATION_CASES', activationWgslCases())}`;

/**
 * Prepends the activation prelude (`activate()`, overrides ACT, ACT_A, ACT_B), which includes
 * the IEEE prelude: a kernel that uses it must not add `IEEE_PRELUDE` again.
 */
export function withActivation(code: string): string {
  return `${activationPrelude}\n${code}`;
}

/** A piece of WGSL prepended to a kernel: shared helper code, or a generated uniform struct. */
export type Prelude = string | { readonly wgsl: string };

/**
 * Index helpers (shaders/index.wgsl): `linear_invocation_id` and `linear_workgroup_id` of a
 * 1-D problem folded into y by `grid1d`, `nchw_pos`, `plane_pos`, `dim_at`. Needs `override WG` in the kernel.
 */
export const INDEX_PRELUDE: Prelude = indexWgsl;

/**
 * IEEE helpers (shaders/ieee.wgsl): `f32_inf`, `f32_nan`, `is_nan_bits`, and `max_nan`,
 * `min_nan`, `keep_nan`, which keep a NaN that WGSL's max and min may drop. Already part of
 * `withActivation`.
 */
export const IEEE_PRELUDE: Prelude = ieeeWgsl;

/** The kernel's full WGSL: its preludes in order, then its own code. */
export function withPreludes(code: string, ...preludes: readonly Prelude[]): string {
  return [...preludes.map((p) => (typeof p === 'string' ? p : p.wgsl)), code].join('\n');
}
