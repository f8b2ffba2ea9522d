/**
 * Converters of the windowed ops on (N, C, H, W) inputs — and (N, C, L) ones, run as
 * (N, C, 1, L) between reshapes: Conv, MaxPool / AveragePool, the global pools, and Pad, which
 * has no layer of its own and becomes a depthwise 1×1 convolution with ones and padding.
 */
import type { NodeContext, DynValue } from '../context.js';
import { intList, normAxis, scalarOf } from '../fold.js';
import type { LayerConfig } from '../../ops/registry.js';
import { fmtShape } from '../../shape.js';
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

function rank4(c: NodeContext, x: DynValue): void {
  if (x.shape.length !== 4) c.fail(`only 2-D (N, C, H, W) inputs are supported, got ${fmtShape(x.shape)}`);
}

/** Conv over 2-D windows, and over 1-D ones as (N, C, 1, L) with (Cout, C/group, 1, k) weights, between reshapes. */
export const conv: Converter = (c: NodeContext) => {
  const input = c.dyn(0, 'X');
  const oneD = input.shape.length === 3;
  if (input.shape.length !== 3 && input.shape.length !== 4) c.fail(`only 1-D and 2-D convolution ((N, C, L) and (N, C, H, W) inputs) is supported, got ${fmtShape(input.shape)}`);
  const x = oneD ? reshapeTo(c, input, [input.shape[0], input.shape[1], 1, input.shape[2]], 'as2d') : input;
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
  c.out(0, oneD ? reshapeTo(c, y, [y.shape[0], y.shape[1], y.shape[3]]) : y);
};

/** MaxPool / AveragePool over 2-D windows, and over 1-D ones as (N, C, 1, L). */
export function pool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const input = c.dyn(0, 'X');
    const oneD = input.shape.length === 3;
    if (input.shape.length !== 3 && input.shape.length !== 4) c.fail(`only 1-D and 2-D pooling ((N, C, L) and (N, C, H, W) inputs) is supported, got ${fmtShape(input.shape)}`);
    const x = oneD ? reshapeTo(c, input, [input.shape[0], input.shape[1], 1, input.shape[2]], 'as2d') : input;
    const kernel = pair(c, 'kernel_shape', null);
    const stride = pair(c, 'strides', 1);
    const dilation = pair(c, 'dilations', 1);
    const padding = windowPads(c, x, kernel, stride, dilation);
    const ceilMode = c.int('ceil_mode', 0) !== 0;
    if (kind === 'max') {
      c.unusedOutputsFrom(1, 'indices');
      if (c.int('storage_order', 0) !== 0 && c.node.outputs.length > 1) c.fail('storage_order 1 is not supported');
    }
    const layer: LayerConfig = {
      type: 'pool2d', pool: kind, kernelSize: kernel, stride, padding, ceilMode,
      ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}),
      ...(kind === 'avg' ? { countIncludePad: c.int('count_include_pad', 0) !== 0 } : {}),
    };
    const y = c.emit(layer, [x], [], oneD ? 'pool' : undefined);
    c.out(0, oneD ? reshapeTo(c, y, [y.shape[0], y.shape[1], y.shape[3]]) : y);
  };
}

export function globalPool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'X');
    rank4(c, x);
    c.out(0, c.emit({ type: 'globalPool', pool: kind }, [x]));
  };
}

/** Pad (constant mode) on H and W: a depthwise 1×1 convolution with weights 1 and the padding; a non-zero value v pads x − v with zeros, then adds v back. */
export const pad: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'data');
  rank4(c, x);
  const mode = c.str('mode', 'constant');
  if (mode !== 'constant') c.fail(`mode '${mode}' is not supported (only constant)`);
  let pads: number[] | null;
  let value = 0;
  if (c.opset >= 11) {
    pads = intList(c.konst(1, 'pads'), `${c.where}: pads`);
    const v = c.optConst(2, 'constant_value');
    if (v) value = scalarOf(v, `${c.where}: constant_value`);
    const axesT = c.opset >= 18 ? c.optConst(3, 'axes') : null;
    if (axesT) {
      const axes = intList(axesT, `${c.where}: axes`).map((a) => normAxis(a, 4, c.where));
      if (pads.length !== 2 * axes.length) c.fail(`pads has ${pads.length} values for ${axes.length} axes`);
      const full = new Array<number>(8).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads![i];
        full[4 + a] = pads![axes.length + i];
      });
      pads = full;
    }
  } else {
    pads = c.ints('pads', null);
    value = c.float('value', 0);
  }
  if (!pads || pads.length !== 8) c.fail(`pads must have 8 values for a 4-D input, got ${JSON.stringify(pads)}`);
  if (pads.some((p) => p < 0)) c.fail(`negative pads (cropping) are not supported: ${JSON.stringify(pads)}`);
  if (pads[0] || pads[1] || pads[4] || pads[5]) c.fail(`only H and W can be padded, got pads ${JSON.stringify(pads)}`);
  const C = x.shape[1];
  let v: DynValue = x;
  const shift = (t: DynValue, by: number, suffix: string) => c.emit({ type: 'binaryConst', op: 'add', shape: [1] }, [t], [Float32Array.of(by)], suffix);
  if (value !== 0) v = shift(v, -value, 'shift');
  const layer: LayerConfig = { type: 'conv2d', filters: C, kernelSize: 1, padding: [pads[2], pads[3], pads[6], pads[7]], groups: C, useBias: false };
  v = c.emit(layer, [v], [new Float32Array(C).fill(1)], value !== 0 ? 'pad' : undefined);
  if (value !== 0) v = shift(v, value, 'unshift');
  c.out(0, v);
};
