/**
 * Converters of the windowed ops on (N, C, H, W) inputs: Conv, MaxPool / AveragePool and the
 * global pools.
 */
import type { NodeContext, DynValue } from '../context.js';
import type { LayerConfig } from '../../ops/registry.js';
import { fmtShape } from '../../shape.js';
import type { Converter } from './common.js';

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
  const pads = c.ints('pads', [0, 0, 0, 0])!;
  if (pads.length !== 4 || pads.some((p) => p < 0)) c.fail(`pads must be 4 non-negative integers for 2-D windows, got ${JSON.stringify(pads)}`);
  return [pads[0], pads[1], pads[2], pads[3]];
}

function pair(c: NodeContext, name: string, dflt: number | null): [number, number] {
  const v = c.ints(name, dflt === null ? null : [dflt, dflt]);
  if (!v) c.fail(`attribute ${name} is required`);
  if (v.length !== 2 || v.some((d) => d < 1)) c.fail(`${name} must be 2 positive integers (2-D only), got ${JSON.stringify(v)}`);
  return [v[0], v[1]];
}

function rank4(c: NodeContext, x: DynValue): void {
  if (x.shape.length !== 4) c.fail(`only 2-D (N, C, H, W) inputs are supported, got ${fmtShape(x.shape)}`);
}

export const conv: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  rank4(c, x);
  const w = c.konst(1, 'weights W');
  if (w.dims.length !== 4) c.fail(`weights W must be (Cout, C/group, kH, kW), got ${fmtShape(w.dims)}`);
  const b = c.optConst(2, 'bias B');
  const group = c.int('group', 1);
  if (group < 1 || x.shape[1] % group !== 0 || w.dims[1] * group !== x.shape[1]) {
    c.fail(`input has ${x.shape[1]} channels, weights ${fmtShape(w.dims)} with group ${group} expect ${w.dims[1] * group}`);
  }
  const kernel: [number, number] = [w.dims[2], w.dims[3]];
  const ks = c.ints('kernel_shape', null);
  if (ks && (ks.length !== 2 || ks[0] !== kernel[0] || ks[1] !== kernel[1])) c.fail(`kernel_shape ${JSON.stringify(ks)} disagrees with weights ${fmtShape(w.dims)}`);
  const stride = pair(c, 'strides', 1);
  const dilation = pair(c, 'dilations', 1);
  const padding = windowPads(c, x, kernel, stride, dilation);
  if (b && b.data.length !== w.dims[0]) c.fail(`bias has shape ${fmtShape(b.dims)}, expected [${w.dims[0]}]`);
  const layer: LayerConfig = { type: 'conv2d', filters: w.dims[0], kernelSize: kernel, stride, padding, dilation, groups: group, useBias: b !== null };
  c.out(0, c.emit(layer, [x], b ? [c.floatData(w), c.floatData(b)] : [c.floatData(w)]));
};

export function pool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'X');
    rank4(c, x);
    const kernel = pair(c, 'kernel_shape', null);
    const stride = pair(c, 'strides', 1);
    const dilation = pair(c, 'dilations', 1);
    if (dilation[0] !== 1 || dilation[1] !== 1) c.fail(`pooling with dilations ${JSON.stringify(dilation)} is not supported`);
    const padding = windowPads(c, x, kernel, stride, dilation);
    const ceilMode = c.int('ceil_mode', 0) !== 0;
    if (kind === 'max') {
      c.unusedOutputsFrom(1, 'indices');
      if (c.int('storage_order', 0) !== 0 && c.node.outputs.length > 1) c.fail('storage_order 1 is not supported');
    }
    const layer: LayerConfig = {
      type: 'pool2d', pool: kind, kernelSize: kernel, stride, padding, ceilMode,
      ...(kind === 'avg' ? { countIncludePad: c.int('count_include_pad', 0) !== 0 } : {}),
    };
    c.out(0, c.emit(layer, [x]));
  };
}

export function globalPool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'X');
    rank4(c, x);
    c.out(0, c.emit({ type: 'globalPool', pool: kind }, [x]));
  };
}
