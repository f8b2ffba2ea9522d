/** Training: `fit`, `evaluate`, optimizers and schedules (also reachable as `model.fit()`). */
export { fit, evaluate, type Dataset, type FitOptions, type FitCallbacks, type BatchLogs, type EpochLogs, type History, type EvalResult } from './fit.js';
export { type OptimizerConfig, type SgdConfig, type AdamConfig, type LrSchedule, KERAS_SGD_RECIPE, scheduledLr, hyperValues } from './optimizers.js';
export { trainStep, defaultLoss, type LossName, type TrainState, type StepOutputs } from './step.js';
export * from '../data/index.js';
export { type AugmentParams } from '../ops/augment.js';
