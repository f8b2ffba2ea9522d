/**
 * `webcnn summary <model>`: a zoo model's or an .onnx file's layer table, parameter count and
 * activation memory, from shape inference alone (no GPU).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createModel, ZOO_NAMES, type ZooName } from '../models/index.js';
import { CpuBackend } from '../backends/cpu/backend.js';
import { loadOnnx } from '../onnx/index.js';
import type { Model } from '../graph/model.js';
import type { Shape } from '../shape.js';
import { UsageError } from './usage_error.js';

export interface SummaryFlags {
  json?: boolean;
  batch?: number;
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

/** An argument that names an ONNX file rather than a zoo model. */
export function isOnnxPath(arg: string): boolean {
  return arg.endsWith('.onnx') || (!isZooName(arg) && existsSync(arg));
}

/** The bytes of an .onnx file; a missing one is a usage error. */
export function readOnnxFile(path: string, command: string): Uint8Array {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${command}: model file '${path}' does not exist`);
  return new Uint8Array(readFileSync(path));
}

/** Builds a zoo model by name; an unknown name is a usage error that lists the known ones. */
export function zooModel(name: string, inputSize?: number): Model {
  if (!isZooName(name)) throw new UsageError(`unknown model '${name}': choose one of ${ZOO_NAMES.join(', ')}, or give an .onnx file`);
  return createModel(name, inputSize === undefined ? {} : { inputSize });
}

/** A zoo model by name, or an .onnx file imported on the CPU reference (shapes and weights only: no GPU). */
export async function modelFromArg(arg: string, command: string, inputSize?: number): Promise<Model> {
  if (!isOnnxPath(arg)) return zooModel(arg, inputSize);
  if (inputSize !== undefined) throw new UsageError(`${command}: --input-size is for zoo models; an .onnx file has its own input shapes`);
  return loadOnnx(readOnnxFile(arg, command), { backend: new CpuBackend(), label: arg });
}

export function summaryReport(model: Model, batch = 1): SummaryReport {
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
export async function runSummary(name: string, flags: SummaryFlags): Promise<string> {
  const model = await modelFromArg(name, 'summary', flags.inputSize);
  try {
    return flags.json ? JSON.stringify(summaryReport(model, flags.batch)) : model.summary(flags.batch);
  } finally {
    model.dispose();
  }
}
