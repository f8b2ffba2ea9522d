/**
 * `webcnn summary <model>`: a zoo model's layer table, parameter count and activation memory,
 * from shape inference alone (the meta backend: no GPU, no weights).
 */
import { createModel, ZOO_NAMES, type ZooName } from '../models/index.js';
import type { Model } from '../graph/model.js';
import type { Shape } from '../shape.js';
import { UsageError } from './usage_error.js';

export interface SummaryFlags {
  json?: boolean;
  batch: number;
  inputSize?: number;
}

/** The `--json` output: one object, printed on one line. */
export interface SummaryReport {
  model: string;
  /** Parameters as PyTorch's `parameters()` counts them (ResNet-50: 25,557,032): fixed ones (LeNet-5's RBF centres) included, buffers (running statistics) not. */
  totalParams: number;
  /** The trainable ones (LeNet-5: 60,000 of 60,840). */
  trainableParams: number;
  layers: { name: string; type: string; outputShape: Shape; params: number }[];
  /** Peak bytes of layer outputs alive at once, with liveness-based reuse. */
  peakActivationBytes: number;
}

function isZooName(name: string): name is ZooName {
  return (ZOO_NAMES as readonly string[]).includes(name);
}

/** Builds a zoo model by name; an unknown name is a usage error that lists the known ones. */
export function zooModel(name: string, inputSize?: number): Model {
  if (!isZooName(name)) throw new UsageError(`unknown model '${name}': choose one of ${ZOO_NAMES.join(', ')}`);
  return createModel(name, inputSize === undefined ? {} : { inputSize });
}

export function summaryReport(model: Model, batch: number): SummaryReport {
  const info = model.info(batch);
  return {
    model: model.name,
    totalParams: info.totalParams,
    trainableParams: info.trainableParams,
    layers: info.nodes.map((n) => ({ name: n.name, type: n.type, outputShape: [...n.outputShape], params: n.paramCount })),
    peakActivationBytes: model.memoryPlan(batch).peakBytes,
  };
}

/** What `webcnn summary` prints: the text table, or the JSON report on one line. */
export function runSummary(name: string, flags: SummaryFlags): string {
  const model = zooModel(name, flags.inputSize);
  return flags.json ? JSON.stringify(summaryReport(model, flags.batch)) : model.summary(flags.batch);
}
