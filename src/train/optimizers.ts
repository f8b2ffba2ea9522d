/**
 * Optimizer settings and learning-rate schedules. The update itself is a GPU kernel
 * (`sgdStep`, `adamStep`); what changes per step (the scheduled learning rate, Adam's bias
 * correction) is computed here and written into the `hyper` tensor before each step.
 */
import { InvalidArgumentError } from '../errors.js';

export interface SgdConfig {
  type: 'sgd';
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export interface AdamConfig {
  type: 'adam';
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled (AdamW). */
  weightDecay?: number;
}

export type OptimizerConfig = SgdConfig | AdamConfig;

/** The learning rate as a function of the step (0-based) and epoch. */
export type LrSchedule =
  /** Keras' time-based decay: lr / (1 + decay·step). */
  | { type: 'timeDecay'; decay: number }
  /** lr · gamma^floor(epoch / stepSize). */
  | { type: 'step'; stepSize: number; gamma: number }
  /** Cosine from lr to minLr over `steps` steps. */
  | { type: 'cosine'; steps: number; minLr?: number }
  /** LeCun 1998's hand schedule: a list of [fromEpoch, lr] pairs. */
  | { type: 'piecewise'; epochs: readonly (readonly [number, number])[] };

/** SGD as in the seed's Keras recipe: lr 0.05, decay 1e-6, momentum 0.9, Nesterov. */
export const KERAS_SGD_RECIPE: { optimizer: SgdConfig; schedule: LrSchedule } = {
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  schedule: { type: 'timeDecay', decay: 1e-6 },
};

export function checkOptimizer(o: OptimizerConfig): void {
  const bad = (what: string) => {
    throw new InvalidArgumentError('optimizer', what);
  };
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) bad(`lr must be a positive number, got ${o.lr}`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) bad(`weightDecay must be >= 0, got ${o.weightDecay}`);
  if (o.type === 'sgd') {
    if (o.momentum !== undefined && !(o.momentum >= 0 && o.momentum < 1)) bad(`momentum must be in [0, 1), got ${o.momentum}`);
    if (o.nesterov && !((o.momentum ?? 0) > 0)) bad('nesterov needs momentum > 0');
  } else if (o.type === 'adam') {
    for (const [k, v] of [['beta1', o.beta1], ['beta2', o.beta2]] as const) {
      if (v !== undefined && !(v >= 0 && v < 1)) bad(`${k} must be in [0, 1), got ${v}`);
    }
  } else {
    bad(`unknown optimizer ${JSON.stringify((o as { type: unknown }).type)}; use 'sgd' or 'adam'`);
  }
}

/** Number of state tensors per parameter: velocity for momentum SGD, m and v for Adam. */
export function slotCount(o: OptimizerConfig): number {
  return o.type === 'adam' ? 2 : (o.momentum ?? 0) > 0 ? 1 : 0;
}

export function scheduledLr(base: number, schedule: LrSchedule | undefined, step: number, epoch: number): number {
  if (!schedule) return base;
  switch (schedule.type) {
    case 'timeDecay':
      return base / (1 + schedule.decay * step);
    case 'step':
      return base * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
    case 'cosine': {
      const min = schedule.minLr ?? 0;
      const t = Math.min(1, step / Math.max(1, schedule.steps));
      return min + ((base - min) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case 'piecewise': {
      let lr = base;
      for (const [from, value] of schedule.epochs) if (epoch >= from) lr = value;
      return lr;
    }
  }
}

/** The `hyper` tensor's values for step `t` (1-based for Adam's bias correction). */
export function hyperValues(o: OptimizerConfig, lr: number, t: number): Float32Array {
  if (o.type === 'adam') {
    const b1 = o.beta1 ?? 0.9;
    const b2 = o.beta2 ?? 0.999;
    return new Float32Array([lr, Math.sqrt(1 - b2 ** t) / (1 - b1 ** t)]);
  }
  return new Float32Array([lr]);
}
