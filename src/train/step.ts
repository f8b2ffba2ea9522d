/**
 * One training step over a model's graph, derived from the op registry: the forward runs each
 * op's own forward (or its training-mode `train`: batch statistics, dropout masks) and records
 * it on a tape; after the loss, the tape is walked in reverse and each op gives its gradient
 * (`OpDef.backward`; gradients of values read by several ops are summed); then the optimizer
 * updates the parameters in place. A fused activation is differentiated by the trainer before
 * the op's own gradient, from the op's output when that determines it, else from the
 * pre-activation value, which is then computed apart and kept. On WebGPU the step is recorded into an
 * execution plan and replayed with one submit per batch; on the CPU it runs eagerly.
 */
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../shape.js';
import type { TrainingBackend } from '../backends/training.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Graph, GraphNode, NodeInfo } from '../graph/graph.js';
import { type OpDef, paramInputsOf } from '../ops/op.js';
import { type LayerConfig, opOf } from '../ops/registry.js';
import { type Activation, activationGradFrom, isActivation, normalizeActivation } from '../ops/activation.js';
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
  // Every op must have a gradient: say which one does not before any work.
  for (const node of order) {
    const def = opOf(node.layer, node.name);
    const isTrailingSoftmax = loss === 'crossEntropy' && node.layer.type === 'softmax' && node.name === graph.outputs[0];
    if (paramInputsOf(node.layer).length > 0) {
      throw new InvalidArgumentError('fit', `layer '${node.name}' (${node.layer.type}) takes its parameters ${paramInputsOf(node.layer).join(', ')} as inputs; only layers that hold their parameters train`);
    }
    if (!def.backward && !isTrailingSoftmax) {
      throw new InvalidArgumentError('fit', `layer '${node.name}' (${node.layer.type}) has no gradient yet; it runs at inference only`);
    }
  }
  const paramsOf = new Map(info.map((n) => [n.name, n.params.map((p) => `${n.name}.${p.name}`)]));
  // Augmentation runs on the GPU inside the step, seeded per step like dropout.
  const xin = augment ? b.augment(x, state.seed, augment) : x;
  // Every tensor the step makes, freed at its end but for the two it returns: on the wasm
  // backend an undisposed tensor holds its memory until disposed (no garbage collector frees it).
  const made: Tensor[] = [xin];
  const values = new Map<string, Tensor>([[graph.inputs[0].name, xin]]);
  const outputName = graph.outputs[0];
  // Cross-entropy consumes logits: a trailing softmax is folded into the loss.
  const outNode = order.find((n) => n.name === outputName);
  const skipSoftmax = loss === 'crossEntropy' && outNode?.layer.type === 'softmax';
  const lossInput = skipSoftmax ? outNode!.inputs[0] : outputName;

  // ---- Forward, training mode: the ops' own forward (or train) with what their backward needs ----
  interface Recorded {
    readonly node: GraphNode;
    readonly def: OpDef<LayerConfig>;
    readonly layer: LayerConfig;
    readonly inputs: readonly Tensor[];
    readonly params: readonly Tensor[];
    readonly output: Tensor;
    readonly saved: Readonly<Record<string, Tensor>>;
    /** A fused activation the trainer differentiates first, and the value its gradient reads. */
    readonly act?: { readonly activation: Activation; readonly from: Tensor };
  }
  const tape: Recorded[] = [];
  for (const node of order) {
    if (skipSoftmax && node === outNode) continue;
    const def = opOf(node.layer, node.name);
    const inputs = node.inputs.map((i) => values.get(i)!);
    const params = paramsOf.get(node.name)!.map((k) => state.params.get(k)!);
    const fused = def.fusesActivation ? (node.layer as { activation?: Activation }).activation : undefined;
    // An activation whose gradient needs its input runs apart from the op, which keeps that input.
    const split = isActivation(fused) && activationGradFrom(normalizeActivation(node.name, fused)) === 'x';
    const layer = split ? ({ ...node.layer, activation: undefined } as LayerConfig) : node.layer;
    const args = { layer, name: node.name, inputs, params, seed: state.seed };
    const r = def.train ? def.train(b, args) : { y: def.forward(b, args), saved: {} };
    made.push(r.y, ...Object.values(r.saved));
    let output = r.y;
    let act: Recorded['act'];
    if (split) {
      output = b.activation(r.y, fused);
      made.push(output);
      act = { activation: fused, from: r.y };
    } else if (isActivation(fused)) {
      act = { activation: fused, from: r.y };
    }
    values.set(node.name, output);
    tape.push({ node, def, layer, inputs, params, output: r.y, saved: r.saved, act });
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

  // ---- Backward: the tape in reverse, each op's gradient; gradients of values read twice add up ----
  const grads = new Map<string, Tensor>([[lossInput, lossResult.grad]]);
  made.push(lossResult.grad);
  const addGrad = (name: string, g: Tensor) => {
    const prev = grads.get(name);
    const sum = prev ? b.add(prev, g) : g;
    made.push(sum);
    grads.set(name, sum);
  };
  const paramGrads = new Map<string, Tensor>();
  const isInput = (n: string) => graph.inputs.some((i) => i.name === n);
  for (let i = tape.length - 1; i >= 0; i--) {
    const rec = tape[i];
    const dOut = grads.get(rec.node.name);
    if (!dOut) continue; // does not reach the loss
    const dy = rec.act ? b.activationBackward(rec.act.from, dOut, rec.act.activation) : dOut;
    made.push(dy);
    const g = rec.def.backward!(b, {
      layer: rec.layer,
      name: rec.node.name,
      inputs: rec.inputs,
      params: rec.params,
      output: rec.output,
      saved: rec.saved,
      dy,
      needInput: rec.node.inputs.map((src) => !isInput(src)),
    });
    g.inputs?.forEach((dx, k) => {
      if (dx) made.push(dx);
      if (dx && !isInput(rec.node.inputs[k])) addGrad(rec.node.inputs[k], dx);
    });
    const keys = paramsOf.get(rec.node.name)!;
    g.params?.forEach((dp, k) => {
      if (dp) {
        made.push(dp);
        paramGrads.set(keys[k], dp);
      }
    });
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
  const output = values.get(outputName === lossInput ? outputName : lossInput)!;
  const keep = new Set<Tensor>([x, labels, lossResult.loss, output, state.hyper, state.seed, ...state.params.values(), ...[...state.slots.values()].flat()]);
  for (const t of new Set(made)) if (!keep.has(t)) t.dispose();
  return { loss: lossResult.loss, output };
}
