/**
 * `fit()` and `evaluate()`: mini-batch training with per-batch and per-epoch callbacks.
 *
 * On WebGPU each batch size gets one recorded training plan (forward, loss, backward,
 * optimizer): a step writes the batch, the learning rate and the seeds, and submits once.
 * Losses are read back only for batches a callback wants (`logEvery`) and the last batch of
 * each epoch; the rest of the time the GPU runs ahead. Parameters live on the GPU during
 * training and are copied back into the model after each epoch. A loss read back as NaN or
 * ±Infinity stops training with `NonFiniteLossError` (the model keeps its last epoch's weights).
 */
import type { Tensor } from '../tensor.js';
import { type Shape, sizeOf } from '../shape.js';
import { InvalidArgumentError, NonFiniteLossError, ShapeError, WebCnnError } from '../errors.js';
import { type Graph, type GraphInfo, checkGraph } from '../graph/graph.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Backend, Executable } from '../backends/backend.js';
import { opOf } from '../ops/registry.js';
import { trainStep, defaultLoss, type LossName, type TrainState } from './step.js';
import type { AugmentParams } from '../ops/augment.js';
import { type OptimizerConfig, type LrSchedule, checkOptimizer, slotCount, scheduledLr, hyperValues } from './optimizers.js';
import { mulberry32 } from '../util/numeric.js';

/** What `fit` and `evaluate` use of a model: a `Model` is one. */
export interface TrainableModel {
  readonly name: string;
  readonly graph: Graph;
  info(dims?: number): GraphInfo;
  backend(): Promise<Backend>;
  getWeights(): Map<string, Float32Array>;
  setWeights(values: ReadonlyMap<string, Float32Array>): void;
  parameterShapes(): Map<string, Shape>;
  predict(input: Float32Array, batch?: number): Promise<Float32Array>;
}

export interface Dataset {
  /** count · sample values, back to back (NCHW). */
  images: Float32Array;
  /** count class indices (as floats), or for 'mse' count · output values. */
  labels: Float32Array;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean loss of this batch (present when read back). */
  loss?: number;
  accuracy?: number;
  /** Training throughput so far in this epoch. */
  imagesPerSec: number;
  /** Fraction of the whole run done, 0..1. */
  progress: number;
  lr: number;
}

export interface EpochLogs {
  epoch: number;
  /** Mean loss and accuracy over the batches read back this epoch. */
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  imagesPerSec: number;
  seconds: number;
}

export interface FitCallbacks {
  onBatchEnd?: (logs: BatchLogs) => void | Promise<void>;
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerConfig;
  schedule?: LrSchedule;
  /** Default: 'rbf' after an RBF output layer, else 'crossEntropy'. */
  loss?: LossName;
  /** Fraction of the data (taken from the end, before shuffling) held out for validation. */
  validationSplit?: number;
  validationData?: Dataset;
  shuffle?: boolean;
  /** Seeds shuffling, dropout masks and augmentation. */
  seed?: number;
  callbacks?: FitCallbacks;
  /**
   * Read the loss back every this many batches when onBatchEnd is given (default 1). A loss read
   * back as NaN or ±Infinity stops `fit` with `NonFiniteLossError`; without onBatchEnd the loss
   * is read (and checked) at the last batch of each epoch.
   */
  logEvery?: number;
  /** GPU data augmentation applied to every training batch (seeded; AlexNet's recipe: crop + flip + jitter). */
  augment?: AugmentParams;
  /** Stops training at the next batch boundary (the weights so far are kept). */
  signal?: AbortSignal;
}

export interface History {
  epochs: EpochLogs[];
  /** True when `signal` stopped the run early. */
  stopped: boolean;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  images: number;
  ms: number;
}


/** The error that stops `fit` when a batch's loss (read back at `step`) is not finite. */
function nonFiniteLoss(
  loss: number,
  epoch: number,
  batch: number,
  step: number,
  lastFiniteStep: number,
  perSample: Float32Array,
  sampleIndex: (i: number) => number,
): NonFiniteLossError {
  const bad = perSample.findIndex((v) => !Number.isFinite(v));
  const since =
    lastFiniteStep === step - 1 ? '' : lastFiniteStep > 0 ? ` (the last loss read back, at step ${lastFiniteStep}, was finite)` : ' (no earlier loss was read back)';
  return new NonFiniteLossError(
    `fit: the loss became ${loss} at epoch ${epoch}, batch ${batch} (step ${step})${since}` +
      `${bad >= 0 ? `, first in the loss of sample ${sampleIndex(bad)} of the data` : ''}: training diverged or the data holds NaN or Infinity. ` +
      'Lower the learning rate or check the inputs; the model keeps the weights of its last completed epoch.',
    loss, epoch, batch, step,
  );
}

/** Mean loss and accuracy of a batch from per-sample losses and outputs (N, K). */
function batchMetrics(loss: Float32Array, output: Float32Array, labels: Float32Array, k: number, lossName: LossName): { loss: number; accuracy: number } {
  const n = loss.length;
  let sum = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    sum += loss[i];
    if (lossName === 'mse') continue;
    let best = 0;
    for (let j = 1; j < k; j++) {
      const v = output[i * k + j];
      const bv = output[i * k + best];
      if (lossName === 'rbf' ? v < bv : v > bv) best = j;
    }
    if (best === labels[i]) correct++;
  }
  return { loss: sum / Math.max(1, n), accuracy: correct / Math.max(1, n) };
}

function checkLabels(labels: Float32Array, count: number, classes: number, lossName: LossName): void {
  if (lossName === 'mse') return;
  if (labels.length !== count) throw new ShapeError('fit', `${count} samples but ${labels.length} labels`);
  for (let i = 0; i < count; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new InvalidArgumentError('fit', `label ${i} is ${l}; labels must be class indices 0..${classes - 1}`);
    }
  }
}

function take(data: Float32Array, per: number, idx: ArrayLike<number>, from: number, n: number): Float32Array {
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) out.set(data.subarray(idx[from + i] * per, (idx[from + i] + 1) * per), i * per);
  return out;
}

/**
 * The shape of one sample of a model trained on batches: its one input must lead with a
 * symbolic (batch) dimension, the rest of its shape fixed.
 */
function sampleShapeOf(model: TrainableModel, op: string): Shape {
  const inputs = model.graph.inputs;
  if (inputs.length !== 1 || typeof inputs[0].shape[0] !== 'string') {
    throw new InvalidArgumentError(op, `model '${model.name}' needs one input with a leading batch dimension (like ['N', 1, 28, 28]); it has ${inputs.map((i) => `'${i.name}' [${i.shape.join(',')}]`).join(', ')}`);
  }
  return model.info(1).inputShapes[0].slice(1);
}

function asTraining(b: unknown): TrainingBackend {
  const t = b as Partial<TrainingBackend>;
  if (typeof t.conv2dBackward !== 'function' || typeof t.sgdStep !== 'function') {
    throw new WebCnnError('fit: this backend cannot train; use the webgpu, wasm or reference backend');
  }
  return b as TrainingBackend;
}

export async function fit(model: TrainableModel, data: Dataset, options: FitOptions = {}): Promise<History> {
  const graph = model.graph;
  const order = checkGraph(graph);
  const info1 = model.info(1);
  const sampleShape = sampleShapeOf(model, 'fit');
  const per = sizeOf(sampleShape);
  const outShape = info1.outputShapes[0];
  const classes = outShape[outShape.length - 1];
  const lossName = options.loss ?? defaultLoss(graph, order);
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  const optimizer = options.optimizer ?? { type: 'adam', lr: 1e-3 };
  checkOptimizer(optimizer);
  if (!Number.isInteger(epochs) || epochs < 1) throw new InvalidArgumentError('fit', `epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError('fit', `batchSize must be a positive integer, got ${batchSize}`);
  if (per === 0 || data.images.length % per !== 0) {
    throw new ShapeError('fit', `images have ${data.images.length} values, not a whole number of samples of shape [${sampleShape.join(',')}]`);
  }
  const total = data.images.length / per;
  const labelPer = lossName === 'mse' ? sizeOf(outShape.slice(1)) : 1;
  checkLabels(data.labels, total, classes, lossName);

  // Validation split from the end, as Keras does.
  const split = options.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new InvalidArgumentError('fit', `validationSplit must be in [0, 1), got ${split}`);
  const nVal = options.validationData ? 0 : Math.floor(total * split);
  const nTrain = total - nVal;
  if (nTrain < 1) throw new InvalidArgumentError('fit', 'no training samples left after the validation split');
  const validation: Dataset | undefined =
    options.validationData ??
    (nVal > 0 ? { images: data.images.subarray(nTrain * per), labels: data.labels.subarray(nTrain * labelPer) } : undefined);

  const backend = asTraining(await model.backend());
  // A parameter over the device's binding size that its layer cannot take in blocks is named before any upload.
  const layers = new Map(graph.nodes.map((n) => [n.name, n.layer]));
  for (const node of info1.nodes) {
    const layer = layers.get(node.name)!;
    const splits = opOf(layer, node.name).splitsParams?.(layer) ?? [];
    for (const p of node.params) {
      backend.checkFits(`fit: model '${model.name}' layer '${node.name}' (${node.type}) parameter '${p.name}'`, p.shape, { parameter: true, splittable: splits.includes(p.name) });
    }
  }
  const weights = model.getWeights();
  const shapes = model.parameterShapes();
  const params = new Map<string, Tensor>();
  for (const [k, v] of weights) params.set(k, backend.tensor(v, shapes.get(k)!));
  const trainable = info1.nodes.flatMap((n) => n.params.filter((p) => p.trainable && !p.buffer).map((p) => `${n.name}.${p.name}`));
  const slots = new Map<string, Tensor[]>();
  for (const k of trainable) slots.set(k, Array.from({ length: slotCount(optimizer) }, () => backend.zeros(shapes.get(k)!)));
  const state: TrainState = { params, trainable, slots, hyper: backend.zeros([optimizer.type === 'adam' ? 2 : 1]), seed: backend.zeros([1]) };

  // One step per batch size, compiled once: on WebGPU a recorded plan, one submit per batch.
  const plans = new Map<number, Promise<Executable>>();
  const planFor = (n: number): Promise<Executable> => {
    let plan = plans.get(n);
    if (!plan) {
      plan = backend.compile(
        [[n, ...sampleShape], lossName === 'mse' ? [n, ...outShape.slice(1)] : [n]],
        ([x, y]) => {
          const out = trainStep(backend, graph, order, info1.nodes, state, x, y, lossName, optimizer, options.augment);
          return [out.loss, out.output];
        },
        { label: `${graph.name} train step (batch ${n})` },
      );
      plans.set(n, plan);
    }
    return plan;
  };

  const rand = mulberry32(options.seed ?? 0);
  const order0 = Array.from({ length: nTrain }, (_, i) => i);
  const batches = Math.ceil(nTrain / batchSize);
  const history: History = { epochs: [], stopped: false };
  let step = 0;
  let lastFiniteStep = 0;
  const pullWeights = async () => {
    const host = new Map<string, Float32Array>();
    for (const [k, t] of params) host.set(k, await t.read());
    model.setWeights(host);
  };

  try {
    for (let epoch = 0; epoch < epochs && !history.stopped; epoch++) {
      const idx = order0.slice();
      if (options.shuffle ?? true) {
        for (let i = idx.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [idx[i], idx[j]] = [idx[j], idx[i]];
        }
      }
      const t0 = performance.now();
      let seen = 0;
      let lossSum = 0;
      let accSum = 0;
      let measured = 0;
      for (let bi = 0; bi < batches; bi++) {
        if (options.signal?.aborted) {
          history.stopped = true;
          break;
        }
        const from = bi * batchSize;
        const n = Math.min(batchSize, nTrain - from);
        const xb = take(data.images, per, idx, from, n);
        const yb = take(data.labels, labelPer, idx, from, n);
        const lr = scheduledLr(optimizer.lr, options.schedule, step, epoch);
        step++;
        backend.write(state.hyper, hyperValues(optimizer, lr, step));
        backend.write(state.seed, new Float32Array([Math.floor(rand() * 16777216)]));
        const last = bi === batches - 1;
        const wantRead = last || (options.callbacks?.onBatchEnd !== undefined && bi % (options.logEvery ?? 1) === 0);
        let metrics: { loss: number; accuracy: number } | undefined;
        const plan = await planFor(n);
        const out = await plan.run([xb, yb], { read: wantRead });
        if (wantRead) {
          metrics = batchMetrics(out[0], out[1], yb, classes, lossName);
          if (!Number.isFinite(metrics.loss)) throw nonFiniteLoss(metrics.loss, epoch, bi, step, lastFiniteStep, out[0], (i) => idx[from + i]);
          lastFiniteStep = step;
        }
        seen += n;
        if (metrics) {
          lossSum += metrics.loss;
          accSum += metrics.accuracy;
          measured++;
        }
        if (options.callbacks?.onBatchEnd) {
          const secs = (performance.now() - t0) / 1000;
          await options.callbacks.onBatchEnd({
            epoch, batch: bi, batches, loss: metrics?.loss, accuracy: metrics?.accuracy,
            imagesPerSec: seen / Math.max(secs, 1e-9), progress: (epoch * batches + bi + 1) / (epochs * batches), lr,
          });
        }
      }
      await backend.sync();
      const seconds = (performance.now() - t0) / 1000;
      await pullWeights();
      const logs: EpochLogs = {
        epoch,
        loss: measured ? lossSum / measured : NaN,
        accuracy: measured ? accSum / measured : NaN,
        imagesPerSec: seen / Math.max(seconds, 1e-9),
        seconds,
      };
      if (validation) {
        const v = await evaluate(model, validation, { batchSize: Math.max(batchSize, 256), loss: lossName });
        logs.valLoss = v.loss;
        logs.valAccuracy = v.accuracy;
      }
      history.epochs.push(logs);
      await options.callbacks?.onEpochEnd?.(logs);
    }
    if (history.stopped) await pullWeights();
  } finally {
    for (const p of plans.values()) void p.then((plan) => plan.dispose(), () => undefined);
    for (const t of params.values()) t.dispose();
    for (const list of slots.values()) for (const t of list) t.dispose();
    state.hyper.dispose();
    state.seed.dispose();
  }
  return history;
}

/** Loss and accuracy on a labelled set, with the model's inference path (running statistics, no dropout). */
export async function evaluate(model: TrainableModel, data: Dataset, options: { batchSize?: number; loss?: LossName } = {}): Promise<EvalResult> {
  const graph = model.graph;
  const sampleShape = sampleShapeOf(model, 'evaluate');
  const per = sizeOf(sampleShape);
  const outShape = model.info(1).outputShapes[0];
  const classes = outShape[outShape.length - 1];
  const lossName = options.loss ?? defaultLoss(graph, checkGraph(graph));
  if (per === 0 || data.images.length % per !== 0) {
    throw new ShapeError('evaluate', `images have ${data.images.length} values, not a whole number of samples of shape [${sampleShape.join(',')}]`);
  }
  const total = data.images.length / per;
  checkLabels(data.labels, total, classes, lossName);
  const batchSize = options.batchSize ?? 256;
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < total; from += batchSize) {
    const n = Math.min(batchSize, total - from);
    const out = await model.predict(data.images.subarray(from * per, (from + n) * per), n);
    for (let i = 0; i < n; i++) {
      const row = out.subarray(i * classes, (i + 1) * classes);
      const label = data.labels[from + i];
      let best = 0;
      for (let j = 1; j < classes; j++) if (lossName === 'rbf' ? row[j] < row[best] : row[j] > row[best]) best = j;
      if (best === label) correct++;
      if (lossName === 'rbf') lossSum += row[label];
      else if (lossName === 'crossEntropy') {
        // The output may be logits or, after a softmax layer, probabilities.
        const probs = row.every((v) => v >= 0 && v <= 1) && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3;
        if (probs) lossSum -= Math.log(Math.max(row[label], 1e-12));
        else {
          const m = Math.max(...row);
          let s = 0;
          for (const v of row) s += Math.exp(v - m);
          lossSum += m + Math.log(s) - row[label];
        }
      }
    }
  }
  return { loss: lossSum / Math.max(1, total), accuracy: correct / Math.max(1, total), images: total, ms: performance.now() - t0 };
}
