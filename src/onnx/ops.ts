/**
 * One converter per ONNX op: each reads its node's inputs and attributes, folds what is
 * constant, and emits webcnn layers (conv2d, pool2d, dense, batchNorm, …) for the rest. Where
 * an ONNX op has no layer of its own it is built from existing ones (Sub as an add of the
 * negated constant, Pad as a depthwise 1×1 convolution with ones and padding).
 *
 * The converters live in `convert/` by family (windows, matrix products, elementwise, shape and
 * constants); this file is the table that maps each op type to its converter.
 */
import { type LayerConfig, allOps } from '../ops/registry.js';
import type { OpDef } from '../ops/op.js';
import type { Converter } from './convert/common.js';
import { conv, globalPool, pad, pool } from './convert/conv_pool.js';
import { gemm, matmul } from './convert/matmul.js';
import { activation, arith, batchNorm, clip, hardSigmoid, leakyRelu, lrn, softmax } from './convert/elementwise.js';
import { cast, concat, constant, constantOfShape, dropout, flatten, gather, passThrough, range, reshape, shape, size, slice, squeezeLike, transpose } from './convert/shape.js';

/** The converter of each ONNX op type that has one here. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Add: arith('Add'),
  AveragePool: pool('avg'),
  BatchNormalization: batchNorm,
  Cast: cast,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Conv: conv,
  Div: arith('Div'),
  Dropout: dropout,
  Flatten: flatten,
  Gather: gather,
  Gemm: gemm,
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Identity: passThrough,
  LeakyRelu: leakyRelu,
  HardSigmoid: hardSigmoid,
  HardSwish: activation('hardSwish'),
  LRN: lrn,
  MatMul: matmul,
  MaxPool: pool('max'),
  Mul: arith('Mul'),
  Pad: pad,
  Range: range,
  Relu: activation('relu'),
  Reshape: reshape,
  Shape: shape,
  Sigmoid: activation('sigmoid'),
  Size: size,
  Slice: slice,
  Softmax: softmax,
  Squeeze: squeezeLike(false),
  Sub: arith('Sub'),
  Tanh: activation('tanh'),
  Transpose: transpose,
  Unsqueeze: squeezeLike(true),
};

/**
 * ONNX node types that ops of the registry declare (`OpDef.onnx`): they import nodes whose
 * inputs are all computed by the graph, with no converter of their own here.
 */
export const REGISTRY_ONNX: ReadonlyMap<string, OpDef<LayerConfig>> = new Map(allOps().flatMap((def) => Object.keys(def.onnx ?? {}).map((t) => [t, def] as const)));

/** Every ONNX op type the importer takes. */
export const SUPPORTED_OPS: readonly string[] = [...new Set([...Object.keys(CONVERTERS), ...REGISTRY_ONNX.keys()])].sort();
