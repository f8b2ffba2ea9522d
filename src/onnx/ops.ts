/**
 * One converter per ONNX op: each reads its node's inputs and attributes, folds what is
 * constant, and emits webcnn layers (conv2d, pool2d, dense, batchNorm, …) for the rest. Where
 * an ONNX op has no layer of its own it is built from existing ones (Sub as an add of the
 * negated constant).
 *
 * The converters live in `convert/` by family (windows, matrix products, elementwise, shape and
 * constants); this file is the table that maps each op type to its converter.
 */
import { type LayerConfig, allOps } from '../ops/registry.js';
import type { OpDef } from '../ops/op.js';
import type { Converter } from './convert/common.js';
import { conv, convTranspose, globalPool, pool } from './convert/conv_pool.js';
import { pad, resize, upsample } from './convert/spatial.js';
import { gemm, matmul } from './convert/matmul.js';
import { activation, batchNorm, binaryNode, clip, gelu, hardSigmoid, leakyRelu, lrn, prelu, selu, softmax, swish, variadic, where, withAlpha } from './convert/elementwise.js';
import { argReduce, groupNorm, instanceNorm, layerNorm, reduce } from './convert/reduce.js';
import { cast, concat, constant, constantOfShape, dropout, flatten, passThrough, range, reshape, shape, size, squeezeLike, transpose } from './convert/shape.js';
import { expand, gather, gatherElements, slice, split, tile } from './convert/movement.js';

/** The converter of each ONNX op type that has one here. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Abs: activation('abs'),
  Add: binaryNode('add'),
  And: binaryNode('and'),
  ArgMax: argReduce('max'),
  ArgMin: argReduce('min'),
  AveragePool: pool('avg'),
  BatchNormalization: batchNorm,
  Cast: cast,
  Ceil: activation('ceil'),
  Celu: withAlpha('celu'),
  Clip: clip,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Conv: conv,
  ConvTranspose: convTranspose,
  Cos: activation('cos'),
  Div: binaryNode('div'),
  Expand: expand,
  Dropout: dropout,
  Elu: withAlpha('elu'),
  Equal: binaryNode('equal'),
  Erf: activation('erf'),
  Exp: activation('exp'),
  Flatten: flatten,
  Floor: activation('floor'),
  Gather: gather,
  Gelu: gelu,
  GatherElements: gatherElements,
  Gemm: gemm,
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Greater: binaryNode('greater'),
  GreaterOrEqual: binaryNode('greaterOrEqual'),
  GroupNormalization: groupNorm,
  Identity: passThrough,
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
  LeakyRelu: leakyRelu,
  HardSigmoid: hardSigmoid,
  HardSwish: activation('hardSwish'),
  Less: binaryNode('less'),
  LessOrEqual: binaryNode('lessOrEqual'),
  Log: activation('log'),
  LogSoftmax: softmax(true),
  LRN: lrn,
  MatMul: matmul,
  Max: variadic('max'),
  MaxPool: pool('max'),
  Mean: variadic('add', true),
  Min: variadic('min'),
  Mish: activation('mish'),
  Mod: binaryNode('mod'),
  Mul: binaryNode('mul'),
  Neg: activation('neg'),
  Not: activation('not'),
  Or: binaryNode('or'),
  Pad: pad,
  Pow: binaryNode('pow'),
  PRelu: prelu,
  Reciprocal: activation('reciprocal'),
  ReduceL1: reduce('l1', 18),
  ReduceL2: reduce('l2', 18),
  ReduceLogSum: reduce('logSum', 18),
  ReduceLogSumExp: reduce('logSumExp', 18),
  ReduceMax: reduce('max', 18),
  ReduceMean: reduce('mean', 18),
  ReduceMin: reduce('min', 18),
  ReduceProd: reduce('prod', 18),
  ReduceSum: reduce('sum', 13),
  ReduceSumSquare: reduce('sumSquare', 18),
  Range: range,
  Relu: activation('relu'),
  Reshape: reshape,
  Round: activation('round'),
  Selu: selu,
  Resize: resize,
  Shape: shape,
  Sigmoid: activation('sigmoid'),
  Sign: activation('sign'),
  Sin: activation('sin'),
  Size: size,
  Slice: slice,
  Softmax: softmax(),
  Softplus: activation('softplus'),
  Softsign: activation('softsign'),
  Split: split,
  Sqrt: activation('sqrt'),
  Squeeze: squeezeLike(false),
  Sub: binaryNode('sub'),
  Sum: variadic('add'),
  Swish: swish,
  Tanh: activation('tanh'),
  ThresholdedRelu: withAlpha('thresholdedRelu'),
  Tile: tile,
  Transpose: transpose,
  Unsqueeze: squeezeLike(true),
  Where: where,
  Xor: binaryNode('xor'),
  Upsample: upsample,
};

/**
 * ONNX node types that ops of the registry declare (`OpDef.onnx`): they import nodes whose
 * inputs are all computed by the graph, with no converter of their own here.
 */
export const REGISTRY_ONNX: ReadonlyMap<string, OpDef<LayerConfig>> = new Map(allOps().flatMap((def) => Object.keys(def.onnx ?? {}).map((t) => [t, def] as const)));

/** Every ONNX op type the importer takes. */
export const SUPPORTED_OPS: readonly string[] = [...new Set([...Object.keys(CONVERTERS), ...REGISTRY_ONNX.keys()])].sort();
