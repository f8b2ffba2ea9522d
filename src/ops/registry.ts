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
import { type LayerBase, type OpDef, type ParamSpec, paramInputsOf } from './op.js';
import { fmtShape } from '../shape.js';
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
import { maxPoolIndicesOp, type MaxPoolIndicesLayer } from './max_pool_indices.js';
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
import { constantOp, type ConstantLayer } from './constant.js';

/** Every layer's configuration, with the parameters it takes as inputs (`LayerBase.paramInputs`). */
export type LayerConfig = LayerConfigs & Pick<LayerBase, 'paramInputs'>;

type LayerConfigs =
  | Conv2dLayer
  | Conv2dTransposeLayer
  | Pool2dLayer
  | MaxPoolIndicesLayer
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
  | GatherElementsLayer
  | ConstantLayer;

export type LayerType = LayerConfig['type'];

type Registry = { readonly [T in LayerType]: OpDef<Extract<LayerConfig, { type: T }>> };

const OPS: Registry = {
  conv2d: conv2dOp,
  conv2dTranspose: conv2dTransposeOp,
  pool2d: pool2dOp,
  maxPoolIndices: maxPoolIndicesOp,
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
  constant: constantOp,
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

/**
 * A layer's inputs split into the op's own and the parameters it takes as inputs
 * (`LayerBase.paramInputs`), every parameter spec, and the specs the layer holds as weights.
 */
function splitParams(def: OpDef<LayerConfig>, layer: LayerConfig, name: string, inputs: readonly Shape[]): { own: number; specs: ParamSpec[]; held: ParamSpec[] } {
  const given = paramInputsOf(layer);
  const own = inputs.length - given.length;
  checkArity(def, name, own);
  const specs = def.params?.(layer, inputs.slice(0, own), name) ?? [];
  if (given.length === 0) return { own, specs, held: specs };
  given.forEach((p, i) => {
    const spec = specs.find((s) => s.name === p);
    if (!def.paramInputs?.includes(p) || !spec || given.indexOf(p) !== i) {
      throw new InvalidArgumentError(def.type, `parameter '${p}' cannot be given as an input (it may: ${def.paramInputs?.filter((q) => specs.some((s) => s.name === q)).join(', ') || 'none'})`, name);
    }
    const got = inputs[own + i];
    if (got.length !== spec.shape.length || got.some((d, k) => d !== spec.shape[k])) {
      throw new ShapeError(def.type, `parameter '${p}' given as input ${own + i} has shape ${fmtShape(got)}, expected ${fmtShape(spec.shape)}`, name);
    }
  });
  return { own, specs, held: specs.filter((s) => !given.includes(s.name)) };
}

/** Shapes and initialisation of the parameters a layer holds (not those it takes as inputs), given its input shapes. */
export function layerParams(layer: LayerConfig, name: string, inputs: readonly Shape[]): ParamSpec[] {
  return splitParams(opOf(layer, name), layer, name, inputs).held;
}

/**
 * Applies a layer with a backend's primitives: inputs in order (parameters it takes as inputs
 * last), the parameters it holds in `layerParams` order.
 */
export function applyLayer(b: Backend, layer: LayerConfig, name: string, inputs: readonly Tensor[], params: readonly Tensor[]): Tensor {
  const def = opOf(layer, name);
  const given = paramInputsOf(layer);
  if (given.length === 0) {
    checkArity(def, name, inputs.length);
    return def.forward(b, { layer, name, inputs, params });
  }
  const { own, specs } = splitParams(def, layer, name, inputs.map((t) => t.shape));
  let held = 0;
  const all = specs.map((s) => (given.includes(s.name) ? inputs[own + given.indexOf(s.name)] : params[held++]));
  return def.forward(b, { layer, name, inputs: inputs.slice(0, own), params: all });
}

/** FLOPs of one application (`params`: the ones the layer holds). */
export function layerFlops(layer: LayerConfig, inputs: readonly Shape[], output: Shape, params: readonly ParamSpec[]): number {
  const def = opOf(layer);
  if (paramInputsOf(layer).length === 0) return def.flops(layer, inputs, output, params);
  const { own, specs } = splitParams(def, layer, '', inputs);
  return def.flops(layer, inputs.slice(0, own), output, specs);
}
