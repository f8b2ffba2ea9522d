/**
 * What an op is: the one definition of a layer type that inference, training, shape
 * inference, lowering and fusion, `summary`, the Layers factories and the ONNX importer all
 * read (see src/ops/registry.ts for the table of them).
 *
 * An op computes with backend primitives (`Backend`: conv2d, matmul, pool2d, …), so its
 * forward runs unchanged on the CPU reference, on WebGPU, while a plan is recorded, and on the
 * shape-only meta backend, which is how output shapes are inferred: there is one code path for
 * shapes, the CPU and the GPU. Its backward is its gradient, written with the same primitives;
 * the trainer walks the recorded forward in reverse and asks each op for it. There is no
 * second forward anywhere.
 */
import type { Backend } from '../backends/backend.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import { ShapeError } from '../errors.js';

/** How a parameter is initialised when a model is built with random weights. */
export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  /** Fixed values given by the architecture (LeNet-5's RBF centres). */
  | { kind: 'values'; values: Float32Array };

export interface ParamSpec {
  /** Name within the layer: `weight`, `bias`, `running_mean`, … (PyTorch's state_dict names). */
  readonly name: string;
  readonly shape: Shape;
  readonly init: Init;
  /** False for statistics (batch norm's running mean/var) and fixed parameters (LeNet-5's RBF centres). */
  readonly trainable: boolean;
  /**
   * A buffer, not a parameter (PyTorch's distinction): batch norm's running statistics. Saved
   * and loaded with the weights, but not counted in parameter totals.
   */
  readonly buffer?: boolean;
}

/** A layer's configuration: plain, serialisable data whose `type` names its op. */
export interface LayerBase {
  readonly type: string;
  /**
   * Parameters this layer takes as inputs computed by the graph instead of holding them as
   * weights (ONNX files may give a convolution's weights as a graph input), by name, in the
   * order they follow the op's own inputs. Each must be one of the op's `paramInputs`.
   */
  readonly paramInputs?: readonly string[];
}

/** The parameters a layer takes as inputs (`LayerBase.paramInputs`), or none. */
export function paramInputsOf(layer: LayerBase): readonly string[] {
  return layer.paramInputs ?? [];
}

/** The layer taking these parameters as inputs (after its own inputs, in this order). */
export function withParamInputs<L extends LayerBase>(layer: L, names: readonly string[]): L {
  return { ...layer, paramInputs: [...names] };
}

/** One application of an op: its layer, its node's name, its inputs and its parameters (in `params` order). */
export interface OpArgs<L extends LayerBase> {
  readonly layer: L;
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly params: readonly Tensor[];
}

/** A training-mode application: what `train` gets besides `OpArgs`. */
export interface TrainArgs<L extends LayerBase> extends OpArgs<L> {
  /** A (1) tensor holding this step's random seed (dropout masks), rewritten before each step. */
  readonly seed: Tensor;
}

/** What the forward of a training step gives the backward. */
export interface TrainResult {
  readonly y: Tensor;
  /** Tensors the backward needs besides the inputs, parameters and output (masks, batch statistics). */
  readonly saved: Readonly<Record<string, Tensor>>;
}

/** What `backward` gets: the forward's tensors and the gradient at the op's output. */
export interface GradArgs<L extends LayerBase> extends OpArgs<L> {
  /** The op's output as the forward computed it. */
  readonly output: Tensor;
  readonly saved: Readonly<Record<string, Tensor>>;
  /**
   * Gradient of the loss with respect to the op's output. For an op with a fused activation it
   * is already the gradient at the pre-activation output (the trainer applies the activation's
   * derivative first).
   */
  readonly dy: Tensor;
  /** Which inputs need a gradient (graph inputs do not). */
  readonly needInput: readonly boolean[];
}

/** Gradients in the order of the op's inputs and parameters; undefined where none is needed or defined. */
export interface Grads {
  readonly inputs?: readonly (Tensor | undefined)[];
  readonly params?: readonly (Tensor | undefined)[];
}

/** Reads one ONNX node's attributes; errors name the node. */
export interface OnnxAttributes {
  int(name: string, dflt: number): number;
  ints(name: string, dflt: readonly number[] | null): number[] | null;
  float(name: string, dflt: number): number;
  str(name: string, dflt: string): string;
  /** The rank of computed input i. */
  rank(i: number): number;
  fail(message: string): never;
}

export interface OpDef<L extends LayerBase> {
  readonly type: L['type'];
  /** How many inputs it takes: exactly n, or [min, max] (max Infinity for any number). */
  readonly inputs: number | readonly [number, number];
  /** Shapes and initialisation of its parameters, given its input shapes. Default: none. */
  params?(layer: L, inputs: readonly Shape[], name: string): ParamSpec[];
  /** Inference forward, with backend primitives. Also infers the output shape on the meta backend. */
  forward(b: Backend, a: OpArgs<L>): Tensor;
  /** Training-mode forward, when it differs from `forward` (batch statistics, dropout masks). */
  train?(b: TrainingBackend, a: TrainArgs<L>): TrainResult;
  /** The gradient. Without one, the op runs at inference only and `fit` says so before any work. */
  backward?(b: TrainingBackend, g: GradArgs<L>): Grads;
  /**
   * Parameters that a layer may take as inputs instead (`LayerBase.paramInputs`): those its
   * forward reads only as tensors, never pre-transformed at load. Default: none.
   */
  readonly paramInputs?: readonly string[];
  /** Multiply-adds ×2 (or comparisons and adds for the cheap ops) of one application. */
  flops(layer: L, inputs: readonly Shape[], output: Shape, params: readonly ParamSpec[]): number;
  /**
   * It applies `layer.activation` at its store: lowering may fold a following activation layer
   * into it, and the trainer differentiates the activation first.
   */
  readonly fusesActivation?: boolean;
  /**
   * Parameters its forward and backward can take held in blocks of rows along axis 0 (the
   * WebGPU backend splits a parameter larger than one storage binding so). Default: none.
   */
  splitsParams?(layer: L): readonly string[];
  /** At inference it is the identity (dropout): lowering reads its input instead. */
  readonly identityAtInference?: boolean;
  /**
   * ONNX node types this op imports, each with a function from the node's attributes to the
   * layer. The importer uses it for nodes whose inputs are all computed by the graph.
   */
  readonly onnx?: Readonly<Record<string, (a: OnnxAttributes) => L>>;
}

/** Declares an op; the identity, for type inference of `L`. */
export function defineOp<L extends LayerBase>(def: OpDef<L>): OpDef<L> {
  return def;
}

/** PyTorch's default initialisation (uniform ±1/√fanIn) or LeCun 1998's (uniform ±2.4/fanIn). */
export function fanInInit(kind: 'pytorch' | 'lecun98' | undefined, fanIn: number): Init {
  return { kind: 'uniform', bound: kind === 'lecun98' ? 2.4 / fanIn : 1 / Math.sqrt(Math.max(1, fanIn)) };
}

/** The channel count of an op's input (axis 1), or a ShapeError naming the op and layer when it has none. */
export function channelsOf(op: string, name: string, x: Shape): number {
  if (x.length < 2) throw new ShapeError(op, `input must have a channel dimension, got rank ${x.length}`, name);
  return x[1];
}

/** A parameter spec. */
export function param(name: string, shape: Shape, init: Init, trainable = true, buffer = false): ParamSpec {
  return { name, shape, init, trainable, buffer };
}

/** `dy` summed down to `shape` over broadcast dimensions, or `dy` itself when the shapes agree. */
export function reduceTo(b: TrainingBackend, dy: Tensor, shape: Shape): Tensor {
  return shape.length === dy.rank && shape.every((d, k) => d === dy.shape[k]) ? dy : b.sumTo(dy, shape);
}
