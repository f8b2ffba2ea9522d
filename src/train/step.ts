/**
 * One training step over a model's graph, written once against the TrainingBackend ops:
 * forward in training mode (batch statistics, dropout masks, saved activations), the loss, the
 * backward pass in reverse topological order (gradients of nodes read by several layers are
 * summed), and the optimizer's in-place updates. On WebGPU the step is recorded into an
 * execution plan and replayed with one submit per batch; on the CPU it runs eagerly.
 */
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import { fmtShape } from '../shape.js';
import type { TrainingBackend } from '../backends/training.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Graph, GraphNode, NodeInfo } from '../graph/graph.js';
import type { LayerConfig } from '../graph/layers.js';
import type { Activation } from '../ops/activation.js';
import type { OptimizerConfig } from './optimizers.js';
import type { AugmentParams } from '../ops/augment.js';

export type LossName = 'crossEntropy' | 'mse' | 'rbf';

/** Tensors that live across steps on the training backend. */
export interface TrainState {
  /** Every parameter and buffer, keyed `layer.name` like `Model.getWeights()`. */
  readonly params: Map<string, Tensor>;
  /** Keys of the parameters the optimizer updates. */
  readonly trainable: readonly string[];
  /** Optimizer state per trainable parameter (velocity, or Adam's m and v). */
  readonly slots: Map<string, Tensor[]>;
  /** [lr] for SGD, [lr, bias correction] for Adam: rewritten before each step. */
  readonly hyper: Tensor;
  /** Seeds for dropout and augmentation: rewritten before each step. */
  readonly seed: Tensor;
}

export interface StepOutputs {
  /** Per-sample loss (N). */
  loss: Tensor;
  /** The model's output (N, K): logits, distances or predictions. */
  output: Tensor;
}

const act = (layer: LayerConfig): Activation | undefined => {
  const a = (layer as { activation?: Activation }).activation;
  return a === undefined || a === 'none' ? undefined : a;
};

/** The loss a model trains with by default: LeCun's RBF loss after an RBF layer, else cross-entropy. */
export function defaultLoss(graph: Graph, order: readonly GraphNode[]): LossName {
  const out = order.find((n) => n.name === graph.outputs[0]);
  return out?.layer.type === 'rbf' ? 'rbf' : 'crossEntropy';
}

/**
 * Records (or runs) one step: returns the per-sample loss and the output. `x` is the input
 * batch, `labels` (N) class indices or, for 'mse', targets shaped like the output.
 */
export function trainStep(
  b: TrainingBackend,
  graph: Graph,
  order: readonly GraphNode[],
  info: readonly NodeInfo[],
  state: TrainState,
  x: Tensor,
  labels: Tensor,
  loss: LossName,
  optimizer: OptimizerConfig,
  augment?: AugmentParams,
): StepOutputs {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new InvalidArgumentError('fit', `model '${graph.name}' has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; training supports one of each`);
  }
  const p = (node: string, name: string): Tensor => state.params.get(`${node}.${name}`)!;
  // Augmentation runs on the GPU inside the step, seeded per step like dropout.
  const xin = augment ? b.augment(x, state.seed, augment) : x;
  const values = new Map<string, Tensor>([[graph.inputs[0].name, xin]]);
  const saved = new Map<string, Record<string, Tensor>>();
  const outputName = graph.outputs[0];
  // Cross-entropy consumes logits: a trailing softmax is folded into the loss.
  const outNode = order.find((n) => n.name === outputName);
  const skipSoftmax = loss === 'crossEntropy' && outNode?.layer.type === 'softmax';
  const lossInput = skipSoftmax ? outNode!.inputs[0] : outputName;

  // ---- Forward, training mode ----
  for (const node of order) {
    if (skipSoftmax && node === outNode) continue;
    const ins = node.inputs.map((i) => values.get(i)!);
    const L = node.layer;
    const name = node.name;
    let y: Tensor;
    const keep: Record<string, Tensor> = {};
    switch (L.type) {
      case 'conv2d':
        y = b.conv2d(ins[0], p(name, 'weight'), L.useBias === false ? undefined : p(name, 'bias'), {
          stride: L.stride, padding: L.padding, dilation: L.dilation, groups: L.groups, activation: L.activation, connectionTable: L.connectionTable, name,
        });
        break;
      case 'dense':
        y = b.dense(ins[0], p(name, 'weight'), L.useBias === false ? undefined : p(name, 'bias'), L.activation);
        break;
      case 'batchNorm': {
        const r = b.batchNormTrain(ins[0], p(name, 'weight'), p(name, 'bias'), p(name, 'running_mean'), p(name, 'running_var'), {
          momentum: L.momentum, epsilon: L.epsilon, activation: L.activation, name,
        });
        y = r.y;
        keep.mean = r.mean;
        keep.invStd = r.invStd;
        break;
      }
      case 'dropout': {
        const r = b.dropoutTrain(ins[0], L.rate, state.seed);
        y = r.y;
        keep.mask = r.mask;
        break;
      }
      case 'subsample':
        y = b.subsample(ins[0], p(name, 'weight'), p(name, 'bias'), { kernelSize: L.kernelSize, activation: L.activation, name });
        break;
      case 'rbf':
        y = b.rbf(ins[0], p(name, 'weight'));
        break;
      case 'pool2d':
        y = b.pool2d(ins[0], { type: L.pool, kernelSize: L.kernelSize, stride: L.stride, padding: L.padding, ceilMode: L.ceilMode, countIncludePad: L.countIncludePad, name });
        break;
      case 'globalPool':
        y = b.globalPool(ins[0], L.pool);
        break;
      case 'adaptiveAvgPool':
        y = b.adaptiveAvgPool(ins[0], { outputSize: L.outputSize, name });
        break;
      case 'lrn':
        y = b.lrn(ins[0], { size: L.size, alpha: L.alpha, beta: L.beta, k: L.k, name });
        break;
      case 'activation':
        y = b.activation(ins[0], L.activation);
        break;
      case 'flatten':
        y = b.flatten(ins[0], 1);
        break;
      case 'add': {
        let acc = b.add(ins[0], ins[1]);
        for (let i = 2; i < ins.length; i++) acc = b.add(acc, ins[i]);
        y = L.activation && L.activation !== 'none' ? b.activation(acc, L.activation) : acc;
        break;
      }
      case 'concat':
        y = b.concat(ins, L.axis ?? 1);
        break;
      case 'softmax':
        throw new InvalidArgumentError('fit', `softmax '${name}' can only be the model's last layer when training with cross-entropy`);
      default:
        throw new InvalidArgumentError('fit', `layer '${name}' (${L.type}) has no training kernels yet; it runs at inference only`);
    }
    values.set(name, y);
    saved.set(name, keep);
  }

  // ---- Loss ----
  const out = values.get(lossInput)!;
  let lossResult;
  if (loss === 'crossEntropy') {
    if (out.rank !== 2) throw new ShapeError('fit', `cross-entropy needs (N, classes) outputs, got ${fmtShape(out.shape)} from '${lossInput}'`);
    lossResult = b.softmaxCrossEntropy(out, labels);
  } else if (loss === 'rbf') {
    lossResult = b.rbfLoss(out, labels);
  } else {
    lossResult = b.mseLoss(out, labels);
  }

  // ---- Backward ----
  const grads = new Map<string, Tensor>([[lossInput, lossResult.grad]]);
  const addGrad = (name: string, g: Tensor) => {
    const prev = grads.get(name);
    grads.set(name, prev ? b.add(prev, g) : g);
  };
  const paramGrads = new Map<string, Tensor>();
  const isInput = (n: string) => n === graph.inputs[0].name;
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (skipSoftmax && node === outNode) continue;
    const dy = grads.get(node.name);
    if (!dy) continue; // does not reach the loss
    const L = node.layer;
    const name = node.name;
    const x0 = values.get(node.inputs[0])!;
    const y = values.get(name)!;
    const keep = saved.get(name)!;
    const needDx = !isInput(node.inputs[0]);
    const a = act(L);
    const dz = a && L.type !== 'activation' ? b.activationBackward(y, dy, a) : dy;
    const pkey = (pn: string) => `${name}.${pn}`;
    switch (L.type) {
      case 'conv2d': {
        const g = b.conv2dBackward(x0, p(name, 'weight'), dz, {
          stride: L.stride, padding: L.padding, dilation: L.dilation, groups: L.groups, connectionTable: L.connectionTable, name,
        }, { input: needDx, weight: true, bias: L.useBias !== false });
        if (g.dx) addGrad(node.inputs[0], g.dx);
        paramGrads.set(pkey('weight'), g.dw!);
        if (g.db) paramGrads.set(pkey('bias'), g.db);
        break;
      }
      case 'dense': {
        const g = b.denseBackward(x0, p(name, 'weight'), dz, { input: needDx, weight: true, bias: L.useBias !== false });
        if (g.dx) addGrad(node.inputs[0], g.dx);
        paramGrads.set(pkey('weight'), g.dw!);
        if (g.db) paramGrads.set(pkey('bias'), g.db);
        break;
      }
      case 'batchNorm': {
        const g = b.batchNormBackward(x0, dz, p(name, 'weight'), keep.mean, keep.invStd);
        if (needDx) addGrad(node.inputs[0], g.dx);
        paramGrads.set(pkey('weight'), g.dgamma);
        paramGrads.set(pkey('bias'), g.dbeta);
        break;
      }
      case 'subsample': {
        const g = b.subsampleBackward(x0, p(name, 'weight'), dz, { kernelSize: L.kernelSize, name });
        if (needDx) addGrad(node.inputs[0], g.dx);
        paramGrads.set(pkey('weight'), g.dcoeff);
        paramGrads.set(pkey('bias'), g.dbias);
        break;
      }
      case 'rbf': {
        const g = b.rbfBackward(x0, p(name, 'weight'), dz);
        if (needDx) addGrad(node.inputs[0], g.dx);
        paramGrads.set(pkey('weight'), g.dcenters);
        break;
      }
      case 'dropout':
        if (needDx) addGrad(node.inputs[0], b.mul(dz, keep.mask));
        break;
      case 'pool2d':
        if (needDx) addGrad(node.inputs[0], b.pool2dBackward(x0, dz, { type: L.pool, kernelSize: L.kernelSize, stride: L.stride, padding: L.padding, ceilMode: L.ceilMode, countIncludePad: L.countIncludePad, name }));
        break;
      case 'globalPool':
        if (needDx) addGrad(node.inputs[0], b.globalPoolBackward(x0, dz, L.pool));
        break;
      case 'adaptiveAvgPool':
        if (needDx) addGrad(node.inputs[0], b.adaptiveAvgPoolBackward(x0, dz, { outputSize: L.outputSize, name }));
        break;
      case 'lrn':
        if (needDx) addGrad(node.inputs[0], b.lrnBackward(x0, dz, { size: L.size, alpha: L.alpha, beta: L.beta, k: L.k, name }));
        break;
      case 'activation':
        if (needDx) addGrad(node.inputs[0], b.activationBackward(y, dy, L.activation));
        break;
      case 'flatten':
        if (needDx) addGrad(node.inputs[0], b.reshape(dz, x0.shape));
        break;
      case 'add':
        node.inputs.forEach((src) => {
          if (isInput(src)) return;
          const shape: Shape = values.get(src)!.shape;
          addGrad(src, shape.length === dz.rank && shape.every((d, k) => d === dz.shape[k]) ? dz : b.sumTo(dz, shape));
        });
        break;
      case 'concat': {
        const axis = (L.axis ?? 1) < 0 ? (L.axis ?? 1) + dz.rank : (L.axis ?? 1);
        let start = 0;
        node.inputs.forEach((src) => {
          const size = values.get(src)!.shape[axis];
          if (!isInput(src)) addGrad(src, b.slice(dz, axis, start, size));
          start += size;
        });
        break;
      }
      case 'softmax':
        break;
    }
  }

  // ---- Optimizer ----
  for (const key of state.trainable) {
    const g = paramGrads.get(key);
    if (!g) continue;
    const slots = state.slots.get(key) ?? [];
    if (optimizer.type === 'adam') {
      b.adamStep(state.params.get(key)!, g, slots[0], slots[1], state.hyper, {
        beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon, weightDecay: optimizer.weightDecay,
      });
    } else {
      b.sgdStep(state.params.get(key)!, g, slots[0], state.hyper, {
        momentum: optimizer.momentum, nesterov: optimizer.nesterov, weightDecay: optimizer.weightDecay,
      });
    }
  }
  return { loss: lossResult.loss, output: values.get(outputName === lossInput ? outputName : lossInput)! };
}
