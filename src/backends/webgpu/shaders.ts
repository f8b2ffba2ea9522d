/**
 * WGSL sources, imported as strings (inlined by the bundler; no runtime fetch), and the
 * prelude composition: kernels that fuse an activation get `activation.wgsl` prepended, with
 * its `case` arms generated from the activation table (src/ops/activation.ts).
 */
import activationWgsl from '../../../shaders/activation.wgsl?raw';
import { activationWgslCases } from '../../ops/activation.js';

const activationPrelude = activationWgsl.replace('//#ACTIVATION_CASES', activationWgslCases());

/** Prepends the activation prelude (`activate()`, overrides ACT, ACT_A, ACT_B). */
export function withActivation(code: string): string {
  return `${activationPrelude}\n${code}`;
}
