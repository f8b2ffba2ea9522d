/**
 * `webcnn train` and `webcnn eval`: LeNet on MNIST from the command line. Training shows a
 * progress bar on stderr (the loss is read back every `LOG_EVERY` batches, not every batch)
 * and saves safetensors; evaluation prints the test accuracy.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Model } from '../graph/model.js';
import { createModel, ZOO_NAMES, type ZooName } from '../models/index.js';
import { loadMnist, padTo32 } from '../data/mnist.js';
import { fit, evaluate, type Dataset, type BatchLogs } from '../train/fit.js';
import type { OptimizerConfig } from '../train/optimizers.js';
import { UsageError } from './usage_error.js';
import type { CliOutput } from './output.js';
import { cliBackend, backendReport, formatBackend, type BackendFlags } from './backend.js';

export const TRAINABLE = ['lenet5', 'lenet'] as const;
const LOG_EVERY = 25;

export interface TrainFlags extends BackendFlags {
  epochs: number;
  batch: number;
  out?: string;
  optimizer: 'sgd' | 'adam';
  lr?: number;
  limit?: number;
  testLimit?: number;
  seed: number;
  json?: boolean;
  /** Start from these weights (resume from a checkpoint). */
  resume?: string;
  /** Random crop with this much zero padding, on the GPU. */
  augment?: number;
  /** Cosine learning-rate decay over the whole run, down to this rate. */
  cosine?: number;
}

export interface EvalFlags extends BackendFlags {
  weights?: string;
  dataset: string;
  limit?: number;
  json?: boolean;
}

/** MNIST as the model wants it: 28×28 in [0,1] for lenet, 32×32 LeCun-normalized for lenet5. */
export async function mnistFor(model: string, split: 'train' | 'test', limit?: number): Promise<Dataset> {
  const d = await loadMnist(split, { limit });
  const images = model === 'lenet5' ? padTo32(d.images, d.count, { lecunNormalize: true }) : d.images;
  return { images, labels: d.labels };
}

/** The weights shipped with the package, if any: weights/<model>.safetensors beside dist/ or src/. */
export function shippedWeights(model: string): string | undefined {
  for (const rel of [`../weights/${model}.safetensors`, `../../weights/${model}.safetensors`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

function bar(logs: BatchLogs, epochs: number): string {
  const width = 24;
  const filled = Math.round(logs.progress * width);
  const loss = logs.loss === undefined ? '' : ` loss ${logs.loss.toFixed(4)} acc ${(logs.accuracy! * 100).toFixed(1)}%`;
  return `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(logs.progress * 100).toFixed(0).padStart(3)}% epoch ${logs.epoch + 1}/${epochs} batch ${logs.batch + 1}/${logs.batches}${loss} ${logs.imagesPerSec.toFixed(0)} img/s `;
}

export async function runTrain(name: string, flags: TrainFlags, out: CliOutput): Promise<string> {
  if (!(TRAINABLE as readonly string[]).includes(name)) {
    throw new UsageError(`train: '${name}' is not trainable from the command line; choose ${TRAINABLE.join(' or ')}`);
  }
  const { backend } = await cliBackend(flags);
  try {
    out.stderr(`training on ${formatBackend(backendReport(backend))}\n`);
    const model = createModel(name as ZooName, { backend, seed: flags.seed });
    if (flags.resume) {
      if (!existsSync(flags.resume)) throw new UsageError(`train: checkpoint '${flags.resume}' does not exist`);
      model.loadWeights(new Uint8Array(readFileSync(flags.resume)), { label: flags.resume });
    }
    const file = flags.out ?? `${name}.safetensors`;
    const train = await mnistFor(name, 'train', flags.limit);
    const test = await mnistFor(name, 'test', flags.testLimit);
    const optimizer: OptimizerConfig =
      flags.optimizer === 'sgd'
        ? { type: 'sgd', lr: flags.lr ?? 0.01, momentum: 0.9, nesterov: true }
        : { type: 'adam', lr: flags.lr ?? 1e-3 };
    const t0 = performance.now();
    const history = await fit(model, train, {
      epochs: flags.epochs,
      batchSize: flags.batch,
      optimizer,
      seed: flags.seed,
      logEvery: LOG_EVERY,
      augment: flags.augment ? { cropPadding: flags.augment } : undefined,
      schedule: flags.cosine === undefined ? undefined : { type: 'cosine', steps: flags.epochs * Math.ceil(train.labels.length / flags.batch), minLr: flags.cosine },
      callbacks: {
        onBatchEnd: (logs) => {
          if (logs.loss !== undefined || logs.batch + 1 === logs.batches) out.stderr(bar(logs, flags.epochs));
        },
        onEpochEnd: async (e) => {
          // A checkpoint after every epoch: an interrupted run resumes with --resume.
          writeFileSync(file, model.saveWeights({ epochs: String(e.epoch + 1) }));
          const acc = await evaluate(model, test);
          out.stderr(`\nepoch ${e.epoch + 1}: test accuracy ${(acc.accuracy * 100).toFixed(2)}%, loss ${e.loss.toFixed(4)}, ${e.imagesPerSec.toFixed(0)} images/s, ${e.seconds.toFixed(1)} s; checkpoint ${file}\n`);
        },
      },
    });
    const ms = performance.now() - t0;
    const result = await evaluate(model, test);
    writeFileSync(file, model.saveWeights({ accuracy: String(result.accuracy), epochs: String(flags.epochs) }));
    const imagesPerSec = history.epochs.reduce((s, e) => s + e.imagesPerSec, 0) / Math.max(1, history.epochs.length);
    const summary = { model: name, epochs: flags.epochs, accuracy: result.accuracy, imagesPerSec: Math.round(imagesPerSec), ms: Math.round(ms), weights: file, ...backendReport(backend) };
    return flags.json
      ? JSON.stringify(summary)
      : `trained ${name} for ${flags.epochs} epoch(s) in ${(ms / 1000).toFixed(1)} s (${summary.imagesPerSec} images/s on ${formatBackend(summary)}); test accuracy ${(result.accuracy * 100).toFixed(2)}%; weights saved to ${file}`;
  } finally {
    backend.dispose();
  }
}

export async function runEval(name: string, flags: EvalFlags): Promise<string> {
  if (!(ZOO_NAMES as readonly string[]).includes(name)) throw new UsageError(`eval: unknown model '${name}'; choose one of ${ZOO_NAMES.join(', ')}`);
  if (flags.dataset !== 'mnist-test') throw new UsageError(`eval: unknown dataset '${flags.dataset}'; the one supported is mnist-test`);
  if (!(TRAINABLE as readonly string[]).includes(name)) throw new UsageError(`eval: ${name} does not take MNIST input; use ${TRAINABLE.join(' or ')}`);
  const file = flags.weights ?? shippedWeights(name);
  if (!file) throw new UsageError(`eval: no weights given and none shipped for ${name}; pass --weights FILE (train some with 'webcnn train ${name}')`);
  if (!existsSync(file)) throw new UsageError(`eval: weights file '${file}' does not exist`);
  const { backend } = await cliBackend(flags);
  try {
    const model: Model = createModel(name as ZooName, { backend });
    model.loadWeights(new Uint8Array(readFileSync(file)), { label: file });
    const test = await mnistFor(name, 'test', flags.limit);
    const r = await evaluate(model, test);
    return flags.json
      ? `${name}: accuracy ${(r.accuracy * 100).toFixed(2)}% on ${r.images} MNIST test images in ${(r.ms / 1000).toFixed(1)} s\n${JSON.stringify({ model: name, accuracy: r.accuracy, images: r.images, ms: Math.round(r.ms), ...backendReport(backend) })}`
      : `${name}: accuracy ${(r.accuracy * 100).toFixed(2)}% on ${r.images} MNIST test images in ${(r.ms / 1000).toFixed(1)} s on ${formatBackend(backendReport(backend))} (weights ${file})`;
  } finally {
    backend.dispose();
  }
}
