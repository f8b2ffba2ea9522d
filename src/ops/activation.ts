/**
 * Activations, standalone or fused into the op before them (conv2d, matmul, batch norm,
 * subsampling). One normalized form, `ActivationConfig`, is shared by the CPU reference and
 * the WGSL prelude `shaders/activation.wgsl`, whose `ACT` override takes `code`.
 */
import { InvalidArgumentError } from '../errors.js';

export type ActivationName = 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'scaledTanh';

/** An activation: a name, or an object for the parameterised ones. */
export type Activation =
  | ActivationName
  | { type: 'leakyRelu'; alpha?: number }
  | { type: 'clip'; min: number; max: number };

export interface ActivationConfig {
  /** 0 none, 1 relu, 2 leaky relu, 3 clip, 4 sigmoid, 5 tanh, 6 LeCun's scaled tanh. */
  readonly code: number;
  /** leaky relu's slope, or clip's min. */
  readonly a: number;
  /** clip's max. */
  readonly b: number;
}

/** LeCun 1998: f(x) = A·tanh(S·x) with A = 1.7159, S = 2/3. */
export const SCALED_TANH_A = 1.7159;
export const SCALED_TANH_S = 2 / 3;

export function normalizeActivation(op: string, act: Activation | undefined): ActivationConfig {
  if (act === undefined || act === 'none') return { code: 0, a: 0, b: 0 };
  if (typeof act === 'string') {
    switch (act) {
      case 'relu': return { code: 1, a: 0, b: 0 };
      case 'relu6': return { code: 3, a: 0, b: 6 };
      case 'sigmoid': return { code: 4, a: 0, b: 0 };
      case 'tanh': return { code: 5, a: 0, b: 0 };
      case 'scaledTanh': return { code: 6, a: 0, b: 0 };
    }
  } else if (act && act.type === 'leakyRelu') {
    const alpha = act.alpha ?? 0.01;
    if (!Number.isFinite(alpha)) throw new InvalidArgumentError(op, `leakyRelu alpha must be finite, got ${alpha}`);
    return { code: 2, a: alpha, b: 0 };
  } else if (act && act.type === 'clip') {
    if (!(act.min <= act.max)) throw new InvalidArgumentError(op, `clip needs min <= max, got min ${act.min}, max ${act.max}`);
    return { code: 3, a: act.min, b: act.max };
  }
  throw new InvalidArgumentError(op, `unknown activation ${JSON.stringify(act)}; expected one of none, relu, relu6, sigmoid, tanh, scaledTanh, {type:'leakyRelu'}, {type:'clip'}`);
}

/** The activation applied to one value, in float64: the CPU reference. */
export function applyActivation(x: number, act: ActivationConfig): number {
  switch (act.code) {
    case 0: return x;
    case 1: return x > 0 ? x : 0;
    case 2: return x > 0 ? x : act.a * x;
    case 3: return Math.min(Math.max(x, act.a), act.b);
    case 4: return 1 / (1 + Math.exp(-x));
    case 5: return Math.tanh(x);
    case 6: return SCALED_TANH_A * Math.tanh(SCALED_TANH_S * x);
    default: throw new Error(`unreachable activation code ${act.code}`);
  }
}

/** Part of a pipeline cache key: activations with different constants are different pipelines. */
export function activationKey(act: ActivationConfig): string {
  return act.code === 2 || act.code === 3 ? `${act.code}(${act.a},${act.b})` : `${act.code}`;
}
