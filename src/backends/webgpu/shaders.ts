/**
 * WGSL sources, imported as strings (inlined by the bundler; no runtime fetch), and the
 * prelude composition: kernels that fuse an activation get `activation.wgsl` prepended.
 */
import activationWgsl from '../../../shaders/activation.wgsl?raw';

/** Prepends the activation prelude (`activate()`, overrides ACT, ACT_A, ACT_B). */
export function withActivation(code: string): string {
  return `${activationWgsl}\n${code}`;
}
