/**
 * Converters of the windowed ops on (N, C, H, W) inputs, and (N, C, L) ones run as (N, C, 1, L)
 * between reshapes: Conv, ConvTranspose, MaxPool / AveragePool and the global pools.
 */
import type { NodeContext, DynValue } from '../context.js';
import type { LayerConfig } from '../../ops/registry.js';
import { type Shape, fmtShape } from '../../shape.js';
import { type Converter, dimsOf, reshapeTo } from './common.js';

/** Explicit [top, left, bottom, right] pads from ONNX's pads / auto_pad. */
function windowPads(c: NodeContext, x: DynValue, kernel: [number, number], stride: [number, number], dilation: [number, number]): [number, number, number, number] {
  const auto = c.str('auto_pad', 'NOTSET');
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = (i: 0 | 1) => {
      const size = x.shape[2 + i];
      const out = Math.ceil(size / stride[i]);
      return Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - size);
    };
    const [th, tw] = [total(0), total(1)];
    const before = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
    return [before(th), before(tw), th - before(th), tw - before(tw)];
  }
  if (auto !== 'NOTSET') c.fail(`auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const oneD = c.rank(0) === 3;
  const pads = c.ints('pads', oneD ? [0, 0] : [0, 0, 0, 0])!;
  const n = oneD ? 2 : 4;
  if (pads.length !== n || pads.some((p) => p < 0)) c.fail(`pads must be ${n} non-negative integers for ${oneD ? 1 : 2}-D windows, got ${JSON.stringify(pads)}`);
  return oneD ? [0, pads[0], 0, pads[1]] : [pads[0], pads[1], pads[2], pads[3]];
}

/** A per-axis window attribute as (H, W); a 1-D window (on an (N, C, L) input, run as (N, C, 1, L)) is (1, L). */
function pair(c: NodeContext, name: string, dflt: number | null): [number, number] {
  const oneD = c.rank(0) === 3;
  const v = c.ints(name, dflt === null ? null : oneD ? [dflt] : [dflt, dflt]);
  if (!v) c.fail(`attribute ${name} is required`);
  const n = oneD ? 1 : 2;
  if (v.length !== n || v.some((d) => d < 1)) c.fail(`${name} must be ${n} positive integer${n > 1 ? 's' : ''} for ${n}-D windows, got ${JSON.stringify(v)}`);
  return oneD ? [1, v[0]] : [v[0], v[1]];
}

/** 1-D windows as 2-D ones of height 1: (N, C, L) → (N, C, 1, L), and back. */
const as2d = (s: Shape): number[] => [s[0], s[1], 1, s[2]];
const as1d = (s: Shape): number[] => [s[0], s[1], s[3]];

function rank4(c: NodeContext, x: DynValue): void {
  if (x.shape.length !== 4) c.fail(`only 2-D (N, C, H, W) inputs are supported, got ${fmtShape(x.shape)}`);
}

/** Conv over 2-D windows, and over 1-D ones as (N, C, 1, L) with (Cout, C/group, 1, k) weights, between reshapes. */
export const conv: Converter = (c: NodeContext) => {
  const input = c.dyn(0, 'X');
  const oneD = input.shape.length === 3;
  if (input.shape.length !== 3 && input.shape.length !== 4) c.fail(`only 1-D and 2-D convolution ((N, C, L) and (N, C, H, W) inputs) is supported, got ${fmtShape(input.shape)}`);
  const x = oneD ? reshapeTo(c, input, as2d, 'as2d') : input;
  // Weights and bias are parameters when constant, inputs of the layer when computed.
  const given = c.operand(1);
  if (!given) c.fail('weights W are missing');
  const gDims = dimsOf(given);
  if (gDims.length !== (oneD ? 3 : 4)) c.fail(`weights W must be (Cout, C/group, ${oneD ? 'k' : 'kH, kW'}), got ${fmtShape(gDims)}`);
  const as4d = oneD ? [gDims[0], gDims[1], 1, gDims[2]] : [...gDims];
  const w = !oneD ? given : given.kind === 'dyn' ? reshapeTo(c, given, as4d, 'weight2d') : { ...given, dims: as4d };
  const wDims = dimsOf(w);
  const b = c.operand(2);
  const group = c.int('group', 1);
  if (group < 1 || x.shape[1] % group !== 0 || wDims[1] * group !== x.shape[1]) {
    c.fail(`input has ${x.shape[1]} channels, weights ${fmtShape(wDims)} with group ${group} expect ${wDims[1] * group}`);
  }
  const kernel: [number, number] = [wDims[2], wDims[3]];
  const ks = c.ints('kernel_shape', null);
  const ks2 = ks && oneD && ks.length === 1 ? [1, ks[0]] : ks;
  if (ks2 && (ks2.length !== 2 || ks2[0] !== kernel[0] || ks2[1] !== kernel[1])) c.fail(`kernel_shape ${JSON.stringify(ks)} disagrees with weights ${fmtShape(gDims)}`);
  const stride = pair(c, 'strides', 1);
  const dilation = pair(c, 'dilations', 1);
  const padding = windowPads(c, x, kernel, stride, dilation);
  const biasOk = !b || (b.kind === 'dyn' ? b.shape.length === 1 && b.shape[0] === wDims[0] : b.data.length === wDims[0]);
  if (!biasOk) c.fail(`bias has shape ${fmtShape(dimsOf(b!))}, expected [${wDims[0]}]`);
  const layer: LayerConfig = { type: 'conv2d', filters: wDims[0], kernelSize: kernel, stride, padding, dilation, groups: group, useBias: b !== null };
  const y = c.emit(layer, [x], b ? [c.paramOf(w), c.paramOf(b)] : [c.paramOf(w)], oneD ? 'conv' : undefined);
  c.out(0, oneD ? reshapeTo(c, y, as1d) : y);
};

/**
 * ConvTranspose, 2-D or 1-D (a height-1 2-D one between two reshapes). Its pads crop the full
 * output; output_shape (or auto_pad SAME_*, whose output is input·stride) sets them from
 * total = s·(in − 1) + output_padding + (k − 1)·d + 1 − output_shape: SAME_UPPER puts
 * ⌊total/2⌋ first, the others ⌈total/2⌉ (the ONNX spec); an output_shape beyond the full
 * output (total < 0) adds rows at the end that only the bias reaches, as ONNX Runtime does.
 */
export const convTranspose: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  const rank = x.shape.length;
  if (rank === 5) c.fail('3-D ConvTranspose (rank-5 input) is not supported; only 1-D and 2-D');
  if (rank !== 3 && rank !== 4) c.fail(`X must be (N, C, L) or (N, C, H, W), got ${fmtShape(x.shape)}`);
  const sp = rank - 2;
  // Weights and bias are parameters when constant, inputs of the layer when computed.
  const w = c.operand(1);
  if (!w) c.fail('weights W are missing');
  const wDims = dimsOf(w);
  if (wDims.length !== rank) c.fail(`weights W must be (C, M/group, ${sp === 1 ? 'k' : 'kH, kW'}), got ${fmtShape(wDims)}`);
  const b = c.operand(2);
  const group = c.int('group', 1);
  const C = x.shape[1];
  if (group < 1 || wDims[0] !== C || C % group !== 0) c.fail(`input has ${C} channels, weights ${fmtShape(wDims)} with group ${group} expect ${wDims[0]} (divisible by the group)`);
  const filters = wDims[1] * group;
  const bDims = b && dimsOf(b);
  if (bDims && (bDims.length !== 1 || bDims[0] !== filters)) c.fail(`bias has shape ${fmtShape(bDims)}, expected [${filters}]`);
  const kernel = wDims.slice(2);
  const list = (name: string, dflt: number, min: number): number[] => {
    const v = c.ints(name, new Array<number>(sp).fill(dflt))!;
    if (v.length !== sp || v.some((d) => !Number.isInteger(d) || d < min)) c.fail(`${name} must be ${sp} integers ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const ks = c.ints('kernel_shape', null);
  if (ks && (ks.length !== sp || ks.some((k, i) => k !== kernel[i]))) c.fail(`kernel_shape ${JSON.stringify(ks)} disagrees with weights ${fmtShape(wDims)}`);
  const stride = list('strides', 1, 1);
  const dilation = list('dilations', 1, 1);
  const outputPadding = list('output_padding', 0, 0);
  const auto = c.str('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(auto)) c.fail(`auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const full = (i: number) => stride[i] * (x.shape[2 + i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilation[i] + 1;
  let outShape = c.ints('output_shape', null);
  if (outShape && outShape.length === rank) outShape = outShape.slice(2);
  if (outShape && (outShape.length !== sp || outShape.some((d) => !Number.isInteger(d) || d < 1))) c.fail(`output_shape must be ${sp} positive integers, got ${JSON.stringify(c.ints('output_shape', null))}`);
  if (!outShape && (auto === 'SAME_UPPER' || auto === 'SAME_LOWER')) outShape = x.shape.slice(2).map((d, i) => d * stride[i]);
  const before: number[] = [];
  const after: number[] = [];
  const extra = [...outputPadding];
  if (outShape) {
    for (let i = 0; i < sp; i++) {
      const total = full(i) - outShape[i];
      const first = total < 0 ? 0 : auto === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      before.push(first);
      after.push(Math.max(0, total - first));
      if (total < 0) extra[i] -= total;
    }
  } else if (auto === 'VALID') {
    before.push(...new Array<number>(sp).fill(0));
    after.push(...new Array<number>(sp).fill(0));
  } else {
    const pads = c.ints('pads', new Array<number>(2 * sp).fill(0))!;
    if (pads.length !== 2 * sp || pads.some((p) => !Number.isInteger(p) || p < 0)) c.fail(`pads must be ${2 * sp} non-negative integers, got ${JSON.stringify(pads)}`);
    before.push(...pads.slice(0, sp));
    after.push(...pads.slice(sp));
  }
  // 1-D as 2-D: a height of 1 with stride, dilation 1 and no padding.
  const two = <T>(v: readonly T[], one: T): [T, T] => (sp === 1 ? [one, v[0]] : [v[0], v[1]]);
  const [kh, kw] = two(kernel, 1);
  const layer: LayerConfig = {
    type: 'conv2dTranspose', filters, kernelSize: [kh, kw], strides: two(stride, 1), dilation: two(dilation, 1), groups: group,
    padding: [...two(before, 0), ...two(after, 0)], outputPadding: two(extra, 0), useBias: b !== null,
  };
  const x4 = sp === 1 ? reshapeTo(c, x, as2d, 'as2d') : x;
  const as4d = sp === 1 ? [wDims[0], wDims[1], 1, wDims[2]] : [...wDims];
  const w4 = sp === 2 ? w : w.kind === 'dyn' ? reshapeTo(c, w, as4d, 'weight2d') : { ...w, dims: as4d };
  const y = c.emit(layer, [x4], b ? [c.paramOf(w4), c.paramOf(b)] : [c.paramOf(w4)], sp === 1 ? 'conv' : undefined);
  c.out(0, sp === 1 ? reshapeTo(c, y, as1d) : y);
};

/** MaxPool / AveragePool over 2-D windows, and over 1-D ones as (N, C, 1, L). */
export function pool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const input = c.dyn(0, 'X');
    const oneD = input.shape.length === 3;
    if (input.shape.length !== 3 && input.shape.length !== 4) c.fail(`only 1-D and 2-D pooling ((N, C, L) and (N, C, H, W) inputs) is supported, got ${fmtShape(input.shape)}`);
    const x = oneD ? reshapeTo(c, input, as2d, 'as2d') : input;
    const kernel = pair(c, 'kernel_shape', null);
    const stride = pair(c, 'strides', 1);
    const dilation = pair(c, 'dilations', 1);
    const padding = windowPads(c, x, kernel, stride, dilation);
    const ceilMode = c.int('ceil_mode', 0) !== 0;
    const window = { kernelSize: kernel, stride, padding, ceilMode, ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}) };
    const layer: LayerConfig = { type: 'pool2d', pool: kind, ...window, ...(kind === 'avg' ? { countIncludePad: c.int('count_include_pad', 0) !== 0 } : {}) };
    const y = c.emit(layer, [x], [], oneD ? 'pool' : undefined);
    c.out(0, oneD ? reshapeTo(c, y, as1d) : y);
    // MaxPool's Indices, computed only when something reads them: flat indices into the
    // input, the same for its 1-D form viewed as (N, C, 1, L).
    const indices = kind === 'max' ? c.node.outputs[1] : undefined;
    if (indices && c.ctx.consumed.has(indices)) {
      const order = c.int('storage_order', 0);
      if (order !== 0 && order !== 1) c.fail(`storage_order ${order} is not 0 or 1`);
      const at = c.ctx.emit(oneD ? `${indices}/pool` : indices, { type: 'maxPoolIndices', ...window, ...(order === 1 ? { columnMajor: true } : {}) }, [x], [], c.where);
      c.out(1, oneD ? reshapeTo(c, at, as1d, 'indices') : at);
    }
  };
}

export function globalPool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'X');
    rank4(c, x);
    c.out(0, c.emit({ type: 'globalPool', pool: kind }, [x]));
  };
}
