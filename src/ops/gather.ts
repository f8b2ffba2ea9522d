/**
 * Gather of computed values: the primitives `gather` (numpy.take along an axis, ONNX's Gather)
 * and `gatherGrad` (its gradient: a scatter-add, written as a gather over the indices so that it
 * is deterministic), and the gather layer, whose indices are constants of the layer (an
 * importer's initializer) or its second, computed input. Indices are float-coded integers;
 * negative ones count from the end of the axis.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { defineOp, param } from './op.js';
import { definePrimitive } from './primitive.js';

export interface GatherAttrs {
  /** The gathered axis of the data (negative counts from the end). */
  readonly axis: number;
}

export interface GatherGradAttrs extends GatherAttrs {
  /** The data's shape (the gradient's). */
  readonly shape: readonly number[];
}

/** The data viewed as (outer, axisLen, inner) and the output as (outer, indices, inner). */
export interface GatherGeometry {
  readonly axis: number;
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
  /** Number of indices. */
  readonly count: number;
  readonly outShape: number[];
}

export function inferGather(data: Shape, indices: Shape, axis: number, op = 'gather', layer?: string): GatherGeometry {
  const r = data.length;
  const a = axis < 0 ? axis + r : axis;
  if (r === 0) throw new ShapeError(op, 'cannot gather from a scalar', layer);
  if (!Number.isInteger(axis) || a < 0 || a >= r) throw new ShapeError(op, `axis ${axis} is out of range for the rank-${r} data ${fmtShape(data)}`, layer);
  return {
    axis: a,
    outer: sizeOf(data.slice(0, a)),
    axisLen: data[a],
    inner: sizeOf(data.slice(a + 1)),
    count: sizeOf(indices),
    outShape: [...data.slice(0, a), ...indices, ...data.slice(a + 1)],
  };
}

/** The index an indices value stands for in an axis of `len`, or -1 when it is outside it. */
export function gatherIndex(v: number, len: number): number {
  const i = Math.round(v);
  const k = i < 0 ? i + len : i;
  return k >= 0 && k < len ? k : -1;
}

/** data (…, D, …) and indices of any shape q → (…, q, …): output element (o, j, k) is data[o, indices[j], k]. */
export const GATHER = definePrimitive<GatherAttrs>({
  name: 'gather',
  infer([data, indices], { axis }) {
    if (!data || !indices) throw new ShapeError('gather', 'takes the data and the indices');
    return inferGather(data, indices, axis).outShape;
  },
});

/** The gradient of gather: dy (…, q, …) summed into zeros of the data's shape at each index. */
export const GATHER_GRAD = definePrimitive<GatherGradAttrs>({
  name: 'gatherGrad',
  infer([dy, indices], { axis, shape }) {
    if (!dy || !indices) throw new ShapeError('gatherGrad', 'takes dy and the indices');
    const g = inferGather(shape, indices, axis, 'gatherGrad');
    if (g.outShape.length !== dy.length || g.outShape.some((d, i) => d !== dy[i])) {
      throw new ShapeError('gatherGrad', `dy has shape ${fmtShape(dy)}, expected ${fmtShape(g.outShape)} (data ${fmtShape(shape)}, indices ${fmtShape(indices)})`);
    }
    return [...shape];
  },
});

// ---------------------------------------------------------------------------------------------
// Layers

/**
 * Picks entries of `axis` (numpy.take, ONNX's Gather): the output has the indices' shape in
 * place of that axis (a scalar index drops it). The indices are `indices` (a constant, of
 * `indicesShape`, default a list) or, without them, the second input, computed by the graph.
 */
export interface GatherLayer {
  type: 'gather';
  axis: number;
  indices?: readonly number[];
  /** Default [indices.length]; [] for one scalar index. */
  indicesShape?: readonly number[];
}

/** A layer's constant indices as a parameter's values and shape. */
function constantIndices(op: string, layer: { readonly indices?: readonly number[]; readonly indicesShape?: readonly number[] }, name: string): { shape: number[]; values: Float32Array } {
  const values = Float32Array.from(layer.indices ?? []);
  const shape = [...(layer.indicesShape ?? [values.length])];
  if (values.some((v) => !Number.isInteger(v)) || sizeOf(shape) !== values.length) {
    throw new InvalidArgumentError(op, `indices must be ${sizeOf(shape)} integers for indicesShape ${fmtShape(shape)}, got ${values.length} values`, name);
  }
  return { shape, values };
}

export const gatherOp = defineOp<GatherLayer>({
  type: 'gather',
  inputs: [1, 2],
  params(layer, inputs, name) {
    const want = layer.indices ? 1 : 2;
    if (inputs.length !== want) throw new ShapeError('gather', `takes ${want} input${want === 1 ? ' with constant indices' : 's (data, indices) without constant indices'}, got ${inputs.length}`, name);
    if (!layer.indices) return [];
    const { shape, values } = constantIndices('gather', layer, name);
    const len = inferGather(inputs[0], shape, layer.axis, 'gather', name).axisLen;
    const bad = values.find((v) => gatherIndex(v, len) < 0);
    if (bad !== undefined) throw new InvalidArgumentError('gather', `index ${bad} is out of range for axis ${layer.axis} of size ${len} (data ${fmtShape(inputs[0])})`, name);
    return [param('indices', shape, { kind: 'values', values }, false, true)];
  },
  forward: (b, { layer, inputs, params }) => b.prim(GATHER, [inputs[0], params[0] ?? inputs[1]], { axis: layer.axis }),
  backward: (b, { layer, inputs, params, dy, needInput }) => ({
    inputs: [needInput[0] ? b.prim(GATHER_GRAD, [dy, params[0] ?? inputs[1]], { axis: layer.axis, shape: [...inputs[0].shape] }) : undefined, undefined],
    params: [undefined],
  }),
  flops: () => 0,
});

/** The ONNX GatherElements of data and indices of the same rank: the output has the indices' shape. */
export function inferGatherElements(data: Shape, indices: Shape, axis: number, op = 'gatherElements', layer?: string): { axis: number; outShape: number[] } {
  const r = data.length;
  const a = axis < 0 ? axis + r : axis;
  if (r === 0) throw new ShapeError(op, 'cannot gather from a scalar', layer);
  if (!Number.isInteger(axis) || a < 0 || a >= r) throw new ShapeError(op, `axis ${axis} is out of range for the rank-${r} data ${fmtShape(data)}`, layer);
  if (indices.length !== r || indices.some((d, i) => i !== a && d > data[i])) {
    throw new ShapeError(op, `indices ${fmtShape(indices)} must have the data's rank and fit inside the data ${fmtShape(data)} on every axis but ${a}`, layer);
  }
  return { axis: a, outShape: [...indices] };
}

/** out[c] = data[c with its `axis` coordinate replaced by indices[c]] (ONNX's GatherElements, torch.gather). */
export const GATHER_ELEMENTS = definePrimitive<GatherAttrs>({
  name: 'gatherElements',
  infer([data, indices], { axis }) {
    if (!data || !indices) throw new ShapeError('gatherElements', 'takes the data and the indices');
    return inferGatherElements(data, indices, axis).outShape;
  },
});

/** The gradient of gatherElements: dy (the indices' shape) summed into zeros of the data's shape where each index points. */
export const GATHER_ELEMENTS_GRAD = definePrimitive<GatherGradAttrs>({
  name: 'gatherElementsGrad',
  infer([dy, indices], { axis, shape }) {
    if (!dy || !indices) throw new ShapeError('gatherElementsGrad', 'takes dy and the indices');
    inferGatherElements(shape, indices, axis, 'gatherElementsGrad');
    if (dy.length !== indices.length || dy.some((d, i) => d !== indices[i])) throw new ShapeError('gatherElementsGrad', `dy has shape ${fmtShape(dy)}, expected the indices' ${fmtShape(indices)}`);
    return [...shape];
  },
});

/**
 * Picks one entry of `axis` per output element (ONNX's GatherElements, torch.gather): the
 * indices have the data's rank and give the output's shape. Constant `indices` of
 * `indicesShape`, or the second input.
 */
export interface GatherElementsLayer {
  type: 'gatherElements';
  axis: number;
  indices?: readonly number[];
  indicesShape?: readonly number[];
}

export const gatherElementsOp = defineOp<GatherElementsLayer>({
  type: 'gatherElements',
  inputs: [1, 2],
  params(layer, inputs, name) {
    const want = layer.indices ? 1 : 2;
    if (inputs.length !== want) throw new ShapeError('gatherElements', `takes ${want} input${want === 1 ? ' with constant indices' : 's (data, indices) without constant indices'}, got ${inputs.length}`, name);
    if (!layer.indices) return [];
    const { shape, values } = constantIndices('gatherElements', layer, name);
    const a = inferGatherElements(inputs[0], shape, layer.axis, 'gatherElements', name).axis;
    const bad = values.find((v) => gatherIndex(v, inputs[0][a]) < 0);
    if (bad !== undefined) throw new InvalidArgumentError('gatherElements', `index ${bad} is out of range for axis ${layer.axis} of size ${inputs[0][a]} (data ${fmtShape(inputs[0])})`, name);
    return [param('indices', shape, { kind: 'values', values }, false, true)];
  },
  forward: (b, { layer, inputs, params }) => b.prim(GATHER_ELEMENTS, [inputs[0], params[0] ?? inputs[1]], { axis: layer.axis }),
  backward: (b, { layer, inputs, params, dy, needInput }) => ({
    inputs: [needInput[0] ? b.prim(GATHER_ELEMENTS_GRAD, [dy, params[0] ?? inputs[1]], { axis: layer.axis, shape: [...inputs[0].shape] }) : undefined, undefined],
    params: [undefined],
  }),
  flops: () => 0,
});
