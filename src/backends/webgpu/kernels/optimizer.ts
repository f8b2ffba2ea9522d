/**
 * WebGPU optimizer steps, in place: SGD (plain, momentum, Nesterov) and Adam/AdamW, one vec4
 * elementwise pass each (shaders/optimizer.wgsl). The learning rate and Adam's bias correction
 * are read from the `hyper` tensor at run time, so a recorded plan replays with new values.
 * Parameter checks (src/ops/optimizer.ts) run before any GPU work.
 */
import optimizerWgsl from '../../../../shaders/optimizer.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import type { SgdParams, AdamParams } from '../../training.js';
import { inferSgd, inferAdam } from '../../../ops/optimizer.js';
import { checkNoAlias } from '../../../ops/tensor_ops.js';

/** The SGD entry points' uniforms: vec4s of the parameter, momentum μ, weight decay. */
const SGD_PARAMS = uniformStruct('SgdParams', { count4: 'u32', momentum: 'f32', weight_decay: 'f32' });
/** `adam`'s uniforms: vec4s of the parameter and the constants of the update. */
const ADAM_PARAMS = uniformStruct('AdamParams', {
  count4: 'u32',
  beta1: 'f32', beta2: 'f32', epsilon: 'f32', weight_decay: 'f32',
  // 1 − β1 and 1 − β2, computed in float64 on the host (1 − f32(0.999) is off by 1e-5 relative)
  one_minus_beta1: 'f32', one_minus_beta2: 'f32',
});

/** Invocations per workgroup (4 parameters each). */
const WG = 256;

// One module; params, grad, hyper, param (, velocity | m, v)
const CODE = withPreludes(optimizerWgsl, SGD_PARAMS, ADAM_PARAMS, INDEX_PRELUDE);
const SGD: KernelSpec = { name: 'optimizer', code: CODE, entryPoint: 'sgd', bindings: ['uniform', 'read', 'read', 'write'] };
const SGD_MOMENTUM: KernelSpec = { name: 'optimizer', code: CODE, entryPoint: 'sgd_momentum', bindings: ['uniform', 'read', 'read', 'write', 'write'] };
const ADAM: KernelSpec = { name: 'optimizer', code: CODE, entryPoint: 'adam', bindings: ['uniform', 'read', 'read', 'write', 'write', 'write'] };

/** Workgroups of a pass over `count4` vec4s. */
const grid = (be: KernelContext, count4: number, op: string) => grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, op);

export function sgdStepGpu(be: KernelContext, param: GpuTensor, grad: GpuTensor, velocity: GpuTensor | undefined, hyper: GpuTensor, params: SgdParams): void {
  const cfg = inferSgd(param.shape, grad.shape, velocity?.shape, hyper.shape, params);
  const v = cfg.momentum > 0 ? velocity : undefined;
  const state: [string, unknown][] = v ? [['velocity', v.storage]] : [];
  checkNoAlias('sgdStep', [['param', param.storage], ...state, ['grad', grad.storage], ['hyper', hyper.storage]], 1 + state.length);
  if (param.size === 0) return;
  const count4 = ceilDiv(param.size, 4);
  const uniforms = SGD_PARAMS.pack({ count4, momentum: cfg.momentum, weight_decay: cfg.weightDecay });
  const workgroups = grid(be, count4, 'sgdStep');
  if (v) {
    be.run({ kernel: SGD_MOMENTUM, overrides: { WG, NESTEROV: cfg.nesterov ? 1 : 0 }, uniforms, workgroups, label: 'sgdStep' }, [grad, hyper, param, v]);
  } else {
    be.run({ kernel: SGD, overrides: { WG }, uniforms, workgroups, label: 'sgdStep' }, [grad, hyper, param]);
  }
}

export function adamStepGpu(be: KernelContext, param: GpuTensor, grad: GpuTensor, m: GpuTensor, v: GpuTensor, hyper: GpuTensor, params: AdamParams): void {
  const cfg = inferAdam(param.shape, grad.shape, m.shape, v.shape, hyper.shape, params);
  checkNoAlias('adamStep', [['param', param.storage], ['m', m.storage], ['v', v.storage], ['grad', grad.storage], ['hyper', hyper.storage]], 3);
  if (param.size === 0) return;
  const count4 = ceilDiv(param.size, 4);
  be.run(
    {
      kernel: ADAM,
      overrides: { WG },
      uniforms: ADAM_PARAMS.pack({
        count4,
        beta1: cfg.beta1, beta2: cfg.beta2, epsilon: cfg.epsilon, weight_decay: cfg.weightDecay,
        one_minus_beta1: 1 - cfg.beta1, one_minus_beta2: 1 - cfg.beta2,
      }),
      workgroups: grid(be, count4, 'adamStep'),
      label: 'adamStep',
    },
    [grad, hyper, param, m, v],
  );
}
