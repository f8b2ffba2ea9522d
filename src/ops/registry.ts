/**
 * The op registry: every layer type, by name, with the one definition (`OpDef`, src/ops/op.ts)
 * that inference, training, shape inference, lowering, summaries, the Layers factories and the
 * ONNX importer read. Adding an op is its definition in src/ops/<family>.ts and one entry here;
 * a new primitive adds its CPU twin, its kernel and its WGSL.
 */
import type { Backend } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { OpDef, ParamSpec } from './op.js';
import { activationOp, type ActivationLayer } from './activation.js';
import { conv2dOp, type Conv2dLayer } from './conv2d.js';
import { conv2dTransposeOp, type Conv2dTransposeLayer } from './conv_transpose.js';
import { pool2dOp, globalPoolOp, adaptiveAvgPoolOp, subsampleOp, lrnOp, type Pool2dLayer, type GlobalPoolLayer, type AdaptiveAvgPoolLayer, type SubsampleLayer, type LrnLayer } from './pool.js';
import { denseOp, rbfOp, matmulOp, softmaxOp, type DenseLayer, type RbfLayer, type MatmulLayer, type SoftmaxLayer } from './matmul.js';
import { batchNormOp, concatOp, type BatchNormLayer, type ConcatLayer } from './normalization.js';
import {
  addOp, mulOp, binaryConstOp, reshapeOp, flattenOp, dropoutOp,
  type AddLayer, type MulLayer, type BinaryConstLayer, type ReshapeLayer, type FlattenLayer, type DropoutLayer,
} from './elementwise.js';
import { transposeOp, type TransposeLayer } from './transpose.js';
import { binaryOp, whereOp, preluOp, type BinaryLayer, type WhereLayer, type PreluLayer } from './binary.js';
import { resizeOp, type ResizeLayer } from './resize.js';
import { padOp, type PadLayer } from './pad.js';
import { depthToSpaceOp, spaceToDepthOp, type DepthToSpaceLayer, type SpaceToDepthLayer } from './depth_to_space.js';
import { reduceOp, argReduceOp, type ReduceLayer, type ArgReduceLayer } from './reduce.js';
import {
  layerNormOp, instanceNormOp, groupNormOp, layerNormStatsOp, type LayerNormLayer, type InstanceNormLayer, type GroupNormLayer, type LayerNormStatsLayer,
} from './norm.js';
import { sliceOp, tileOp, expandOp, type SliceLayer, type TileLayer, type ExpandLayer } from './strided_view.js';
import { gatherOp, gatherElementsOp, type GatherLayer, type GatherElementsLayer } from './gather.js';

/** Every layer's configuration. */
export type LayerConfig =
  | Conv2dLayer
  | Conv2dTransposeLayer
  | Pool2dLayer
  | GlobalPoolLayer
  | AdaptiveAvgPoolLayer
  | SubsampleLayer
  | LrnLayer
  | BatchNormLayer
  | ActivationLayer
  | DropoutLayer
  | FlattenLayer
  | DenseLayer
  | RbfLayer
  | SoftmaxLayer
  | AddLayer
  | ConcatLayer
  | MulLayer
  | BinaryConstLayer
  | MatmulLayer
  | ReshapeLayer
  | TransposeLayer
  | BinaryLayer
  | WhereLayer
  | PreluLayer
  | ResizeLayer
  | PadLayer
  | DepthToSpaceLayer
  | SpaceToDepthLayer
  | ReduceLayer
  | ArgReduceLayer
  | LayerNormLayer
  | InstanceNormLayer
  | GroupNormLayer
  | LayerNormStatsLayer
  | SliceLayer
  | TileLayer
  | ExpandLayer
  | GatherLayer
  | GatherElementsLayer;

export type LayerType = LayerConfig['type'];

type Registry = { readonly [T in LayerType]: OpDef<Extract<LayerConfig, { type: T }>> };

const OPS: Registry = {
  conv2d: conv2dOp,
  conv2dTranspose: conv2dTransposeOp,
  pool2d: pool2dOp,
  globalPool: globalPoolOp,
  adaptiveAvgPool: adaptiveAvgPoolOp,
  subsample: subsampleOp,
  lrn: lrnOp,
  batchNorm: batchNormOp,
  activation: activationOp,
  dropout: dropoutOp,
  flatten: flattenOp,
  dense: denseOp,
  rbf: rbfOp,
  softmax: softmaxOp,
  add: addOp,
  concat: concatOp,
  mul: mulOp,
  binaryConst: binaryConstOp,
  matmul: matmulOp,
  reshape: reshapeOp,
  transpose: transposeOp,
  binary: binaryOp,
  where: whereOp,
  prelu: preluOp,
  resize: resizeOp,
  pad: padOp,
  depthToSpace: depthToSpaceOp,
  spaceToDepth: spaceToDepthOp,
  reduce: reduceOp,
  argReduce: argReduceOp,
  layerNorm: layerNormOp,
  instanceNorm: instanceNormOp,
  groupNorm: groupNormOp,
  layerNormStats: layerNormStatsOp,
  slice: sliceOp,
  tile: tileOp,
  expand: expandOp,
  gather: gatherOp,
  gatherElements: gatherElementsOp,
};

/** The names of every layer type. */
export const LAYER_TYPES = Object.keys(OPS) as LayerType[];

/** The op of a layer type; throws naming the layer and the known types for an unknown one. */
export function opOf<L extends LayerConfig>(layer: L, name?: string): OpDef<L> {
  const def = (OPS as Record<string, OpDef<LayerConfig> | undefined>)[layer?.type];
  if (!def) {
    throw new InvalidArgumentError('layer', `unknown layer type ${JSON.stringify(layer?.type)}; expected one of ${LAYER_TYPES.join(', ')}`, name);
  }
  return def as unknown as OpDef<L>;
}

/** Every op, for the importers and the docs' op table. */
export function allOps(): readonly OpDef<LayerConfig>[] {
  return Object.values(OPS) as unknown as OpDef<LayerConfig>[];
}

function checkArity(def: OpDef<LayerConfig>, name: string, count: number): void {
  const [min, max] = typeof def.inputs === 'number' ? [def.inputs, def.inputs] : def.inputs;
  if (count >= min && count <= max) return;
  const want = min === max ? `${min} input${min === 1 ? '' : 's'}` : max === Infinity ? `${min} or more inputs` : `${min} to ${max} inputs`;
  throw new ShapeError(def.type, `takes ${want}, got ${count}`, name);
}

/** Shapes and initialisation of a layer's parameters, given its input shapes. */
export function layerParams(layer: LayerConfig, name: string, inputs: readonly Shape[]): ParamSpec[] {
  const def = opOf(layer, name);
  checkArity(def, name, inputs.length);
  return def.params?.(layer, inputs, name) ?? [];
}

/** Applies a layer with a backend's primitives: inputs in order, parameters in `layerParams` order. */
export function applyLayer(b: Backend, layer: LayerConfig, name: string, inputs: readonly Tensor[], params: readonly Tensor[]): Tensor {
  const def = opOf(layer, name);
  checkArity(def, name, inputs.length);
  return def.forward(b, { layer, name, inputs, params });
}

/** FLOPs of one application. */
export function layerFlops(layer: LayerConfig, inputs: readonly Shape[], output: Shape, params: readonly ParamSpec[]): number {
  return opOf(layer).flops(layer, inputs, output, params);
}
