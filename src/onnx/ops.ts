/**
 * One converter per ONNX op: each reads its node's inputs and attributes, folds what is
 * constant, and emits webcnn layers (conv2d, pool2d, dense, batchNorm, …) for the rest. Where
 * an ONNX op has no layer of its own it is built from existing ones (Sub as an add of the
 * negated constant, Pad as a depthwise 1×1 convolution with ones and padding).
 */
import type { NodeContext, DynValue, Value } from './context.js';
import type { ConstTensor } from './tensor.js';
import { DataType } from './proto.js';
import { checkDims, dataTypeName, isFloatType } from './tensor.js';
import { MAX_FOLDED_ELEMENTS, foldBinary, foldConcat, foldGather, foldSlice, foldTranspose, intList, makeConst, normAxis, scalarOf, transpose2d, withDims } from './fold.js';
import type { Activation } from '../ops/activation.js';
import { type LayerConfig, allOps } from '../ops/registry.js';
import type { OpDef } from '../ops/op.js';
import { fmtShape, sizeOf } from '../shape.js';

type Converter = (c: NodeContext) => void;

const FLT_MAX = 3.4028234663852886e38;

const dyn = (v: Value | null): v is DynValue => v !== null && v.kind === 'dyn';

/**
 * Reshapes a computed value to `shape` (its whole shape at import). A leading size equal to the
 * input's is kept as "copy axis 0" (0), so a model with a symbolic batch runs any batch.
 */
function reshapeTo(c: NodeContext, v: DynValue, shape: readonly number[], suffix?: string): DynValue {
  checkDims(shape, c.where);
  if (sizeOf(shape) !== sizeOf(v.shape)) c.fail(`cannot reshape ${fmtShape(v.shape)} (${sizeOf(v.shape)} values) to ${fmtShape(shape)}`);
  if (shape.length === v.shape.length && shape.every((d, i) => d === v.shape[i])) return v;
  const target = shape.map((d, i) => (i === 0 && v.shape.length > 0 && d === v.shape[0] ? 0 : d));
  return c.emit({ type: 'reshape', shape: target }, [v], [], suffix);
}

function activation(act: Activation): Converter {
  return (c: NodeContext) => c.out(0, c.emit({ type: 'activation', activation: act }, [c.dyn(0)]));
}

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

const conv: Converter = (c: NodeContext) => {
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

function pool(kind: 'max' | 'avg'): Converter {
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

function globalPool(kind: 'max' | 'avg'): Converter {
  return (c: NodeContext) => {
    const x = c.dyn(0, 'X');
    rank4(c, x);
    c.out(0, c.emit({ type: 'globalPool', pool: kind }, [x]));
  };
}

const gemm: Converter = (c: NodeContext) => {
  const a = c.dyn(0, 'A');
  if (a.shape.length !== 2) c.fail(`A must be (M, K), got ${fmtShape(a.shape)}`);
  if (c.int('transA', 0) !== 0) c.fail('transA = 1 transposes the batch dimension, which is not supported');
  const bT = c.konst(1, 'B');
  if (bT.dims.length !== 2) c.fail(`B must be a matrix, got ${fmtShape(bT.dims)}`);
  const transB = c.int('transB', 0) !== 0;
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  const K = a.shape[1];
  const [N, Kb] = transB ? [bT.dims[0], bT.dims[1]] : [bT.dims[1], bT.dims[0]];
  if (Kb !== K) c.fail(`A ${fmtShape(a.shape)} and B ${fmtShape(bT.dims)}${transB ? ' (transposed)' : ''} do not multiply`);
  const weight = transB ? Float32Array.from(bT.data, (v) => v * alpha) : transpose2d(bT.data, K, N, alpha);
  const cT = c.optConst(2, 'C');
  if (!cT) {
    c.out(0, c.emit({ type: 'dense', units: N, useBias: false }, [a], [weight]));
    return;
  }
  const isRow = cT.data.length === N && (cT.dims.length === 1 || (cT.dims.length === 2 && cT.dims[0] === 1));
  if (isRow || cT.data.length === 1) {
    const bias = new Float32Array(N).map((_, i) => beta * cT.data[isRow ? i : 0]);
    c.out(0, c.emit({ type: 'dense', units: N, useBias: true }, [a], [weight, bias]));
    return;
  }
  const y = c.emit({ type: 'dense', units: N, useBias: false }, [a], [weight], 'gemm');
  const z = c.emit({ type: 'binaryConst', op: 'add', shape: cT.dims }, [y], [Float32Array.from(cT.data, (v) => v * beta)]);
  if (z.shape.length !== 2 || z.shape[0] !== y.shape[0]) c.fail(`C ${fmtShape(cT.dims)} would change the batch dimension (axis 0) of ${fmtShape(y.shape)}`);
  c.out(0, z);
};

const matmul: Converter = (c: NodeContext) => {
  const a = c.dyn(0, 'A');
  const b = c.input(1);
  if (!b) c.fail('input B is missing');
  if (a.shape.length < 2 || a.shape.length > 3) c.fail(`A must have rank 2 or 3, got ${fmtShape(a.shape)}`);
  if (b.kind === 'dyn') {
    c.out(0, c.emit({ type: 'matmul' }, [a, b]));
    return;
  }
  const w = b.tensor;
  if (w.dims.length < 2 || w.dims.length > 3) c.fail(`B must have rank 2 or 3, got ${fmtShape(w.dims)}`);
  if (a.shape.length === 2 && w.dims.length === 2) {
    const [K, N] = w.dims;
    if (a.shape[1] !== K) c.fail(`A ${fmtShape(a.shape)} and B ${fmtShape(w.dims)} do not multiply`);
    c.out(0, c.emit({ type: 'dense', units: N, useBias: false }, [a], [transpose2d(w.data, K, N)]));
    return;
  }
  c.out(0, c.emit({ type: 'matmul', weightShape: w.dims as unknown as [number, number] }, [a], [c.floatData(w)]));
};

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div';
const ARITH: Record<Arith, (x: number, y: number) => number> = {
  Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y,
};

function arith(op: Arith): Converter {
  return (c: NodeContext) => {
    const a = c.input(0);
    const b = c.input(1);
    if (!a || !b) c.fail('needs two inputs');
    if (a.kind === 'const' && b.kind === 'const') {
      const fn = ARITH[op];
      const intDiv = op === 'Div' && a.tensor.kind === 'int' && b.tensor.kind === 'int';
      c.out(0, { kind: 'const', tensor: foldBinary(a.tensor, b.tensor, intDiv ? (x, y) => Math.trunc(x / y) : fn, c.where) });
      return;
    }
    const withConst = (x: DynValue, t: ConstTensor, kind: 'add' | 'mul', map: (v: number) => number, suffix?: string): DynValue => {
      const y = c.emit({ type: 'binaryConst', op: kind, shape: t.dims }, [x], [Float32Array.from(t.data, map)], suffix);
      if (y.shape.length !== x.shape.length || y.shape[0] !== x.shape[0]) {
        c.fail(`the constant ${fmtShape(t.dims)} would change the batch dimension (axis 0) of ${fmtShape(x.shape)}`);
      }
      return y;
    };
    if (dyn(a) && dyn(b)) {
      if (op === 'Add') c.out(0, c.emit({ type: 'add' }, [a, b]));
      else if (op === 'Mul') c.out(0, c.emit({ type: 'mul' }, [a, b]));
      else if (op === 'Sub') {
        const negB = withConst(b, makeConst([1], 'float', [-1], c.where), 'mul', (v) => v, 'neg');
        c.out(0, c.emit({ type: 'add' }, [a, negB]));
      } else c.fail('Div of two computed values is not supported (only division by a constant)');
      return;
    }
    if (dyn(a) && b.kind === 'const') {
      const t = b.tensor;
      if (op === 'Add') c.out(0, withConst(a, t, 'add', (v) => v));
      else if (op === 'Sub') c.out(0, withConst(a, t, 'add', (v) => -v));
      else if (op === 'Mul') c.out(0, withConst(a, t, 'mul', (v) => v));
      else c.out(0, withConst(a, t, 'mul', (v) => 1 / v));
      return;
    }
    const t = (a as { tensor: ConstTensor }).tensor;
    const x = b as DynValue;
    if (op === 'Add') c.out(0, withConst(x, t, 'add', (v) => v));
    else if (op === 'Mul') c.out(0, withConst(x, t, 'mul', (v) => v));
    else if (op === 'Sub') {
      const neg = withConst(x, makeConst([1], 'float', [-1], c.where), 'mul', (v) => v, 'neg');
      c.out(0, withConst(neg, t, 'add', (v) => v));
    } else c.fail('dividing a constant by a computed value is not supported');
  };
}

const clip: Converter = (c: NodeContext) => {
  const x = c.dyn(0);
  let min = -FLT_MAX;
  let max = FLT_MAX;
  if (c.opset < 11) {
    min = c.float('min', min);
    max = c.float('max', max);
  } else {
    const lo = c.optConst(1, 'min');
    const hi = c.optConst(2, 'max');
    if (lo) min = scalarOf(lo, `${c.where}: min`);
    if (hi) max = scalarOf(hi, `${c.where}: max`);
  }
  if (!(min <= max)) c.fail(`min ${min} is greater than max ${max}`);
  c.out(0, c.emit({ type: 'activation', activation: { type: 'clip', min, max } }, [x]));
};

const softmax: Converter = (c: NodeContext) => {
  const x = c.dyn(0);
  const r = x.shape.length;
  if (c.opset >= 13) {
    const axis = normAxis(c.int('axis', -1), r, c.where);
    c.out(0, c.emit({ type: 'softmax', axis }, [x]));
    return;
  }
  // Before opset 13: the input is viewed as 2-D, (d0 … d_{axis-1}, d_axis … d_last), and each row normalised.
  const axis = normAxis(c.int('axis', 1), r, c.where);
  if (axis === r - 1) {
    c.out(0, c.emit({ type: 'softmax', axis: -1 }, [x]));
    return;
  }
  if (axis === 0) c.fail('softmax over every axis including the batch (opset < 13, axis 0) is not supported');
  const flat = reshapeTo(c, x, [...x.shape.slice(0, axis), sizeOf(x.shape.slice(axis))], 'rows');
  const y = c.emit({ type: 'softmax', axis: -1 }, [flat], [], 'softmax');
  c.out(0, reshapeTo(c, y, x.shape));
};

const lrn: Converter = (c: NodeContext) => {
  const x = c.dyn(0);
  const size = c.int('size', 0);
  if (size < 1) c.fail('attribute size must be a positive integer');
  c.out(0, c.emit({ type: 'lrn', size, alpha: c.float('alpha', 1e-4), beta: c.float('beta', 0.75), k: c.float('bias', 1) }, [x]));
};

const batchNorm: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  if (c.opset >= 14 && c.int('training_mode', 0) !== 0) c.fail('training_mode = 1 is not supported (inference only)');
  c.unusedOutputsFrom(1, 'training statistics');
  const params = ['scale', 'B', 'mean', 'var'].map((what, i) => c.floatData(c.konst(i + 1, what)));
  c.out(0, c.emit({ type: 'batchNorm', epsilon: c.float('epsilon', 1e-5) }, [x], params));
};

const concat: Converter = (c: NodeContext) => {
  const ins = c.node.inputs.map((_, i) => c.input(i)).filter((v): v is Value => v !== null);
  if (ins.length === 0) c.fail('needs at least one input');
  if (!c.has('axis')) c.fail('attribute axis is required');
  const axis = c.int('axis', 0);
  if (ins.every((v) => v.kind === 'const')) {
    c.out(0, { kind: 'const', tensor: foldConcat(ins.map((v) => (v as { tensor: ConstTensor }).tensor), axis, c.where) });
    return;
  }
  if (!ins.every(dyn)) c.fail('concatenating computed values with constants is not supported');
  const xs = ins as DynValue[];
  const a = normAxis(axis, xs[0].shape.length, c.where);
  if (xs.length === 1) {
    c.out(0, xs[0]);
    return;
  }
  c.out(0, c.emit({ type: 'concat', axis: a }, xs));
};

const flatten: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const shape = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const r = shape.length;
  let axis = c.int('axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) c.fail(`axis ${c.int('axis', 1)} is out of range for rank ${r}`);
  const out = [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
  if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, out, c.where) });
  else if (axis === 1) c.out(0, c.emit({ type: 'flatten' }, [v]));
  else c.out(0, reshapeTo(c, v, out));
};

const reshape: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input data is missing');
  const target = c.opset >= 5 ? intList(c.konst(1, 'shape'), `${c.where}: shape`) : c.ints('shape', null);
  if (!target) c.fail('shape is missing');
  const from = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const allowZero = c.opset >= 14 && c.int('allowzero', 0) !== 0;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (i < from.length ? from[i] : c.fail(`shape ${JSON.stringify(target)}: 0 at axis ${i} copies a dimension the input ${fmtShape(from)} does not have`)) : d));
  if (dims.filter((d) => d === -1).length > 1 || dims.some((d) => d < -1)) c.fail(`invalid shape ${JSON.stringify(target)}`);
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = sizeOf(from);
  const resolved = dims.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (!resolved.every(Number.isInteger) || sizeOf(resolved) !== total) c.fail(`cannot reshape ${fmtShape(from)} (${total} values) to ${JSON.stringify(target)}`);
  if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, resolved, c.where) });
  else c.out(0, reshapeTo(c, v, resolved));
};

/** Squeeze / Unsqueeze: only the dimensions change. */
function squeezeLike(unsqueeze: boolean): Converter {
  return (c: NodeContext) => {
    const v = c.input(0);
    if (!v) c.fail('input is missing');
    const from = v.kind === 'dyn' ? v.shape : v.tensor.dims;
    const axes = c.intsFromInputOrAttr(1, 'axes', 13);
    let dims: number[];
    if (unsqueeze) {
      if (!axes) c.fail('axes are required');
      const r = from.length + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r, c.where)));
      if (set.size !== axes.length) c.fail(`axes ${JSON.stringify(axes)} repeat an axis`);
      dims = [];
      let k = 0;
      for (let i = 0; i < r; i++) dims.push(set.has(i) ? 1 : from[k++]);
    } else {
      const set = new Set((axes ?? from.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, from.length, c.where)));
      for (const a of set) if (from[a] !== 1) c.fail(`cannot squeeze axis ${a} of ${fmtShape(from)}: it is not 1`);
      dims = from.filter((_, i) => !set.has(i));
    }
    if (v.kind === 'const') c.out(0, { kind: 'const', tensor: withDims(v.tensor, dims, c.where) });
    else c.out(0, reshapeTo(c, v, dims));
  };
}

const passThrough: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  c.out(0, v);
};

const dropout: Converter = (c: NodeContext) => {
  c.unusedOutputsFrom(1, 'mask');
  if (c.opset >= 12) {
    const training = c.optConst(2, 'training_mode');
    if (training && training.data[0] !== 0) c.fail('training_mode = true is not supported (inference only)');
  }
  passThrough(c);
};

const constant: Converter = (c: NodeContext) => {
  const t = c.tensorAttr('value');
  if (t) return c.out(0, { kind: 'const', tensor: t });
  if (c.has('value_float')) return c.out(0, { kind: 'const', tensor: makeConst([], 'float', [c.float('value_float', 0)], c.where) });
  const fs = c.floats('value_floats');
  if (fs) return c.out(0, { kind: 'const', tensor: makeConst([fs.length], 'float', fs, c.where) });
  if (c.has('value_int')) return c.out(0, { kind: 'const', tensor: makeConst([], 'int', [c.int('value_int', 0)], c.where) });
  const is = c.ints('value_ints', null);
  if (is) return c.out(0, { kind: 'const', tensor: makeConst([is.length], 'int', is, c.where) });
  c.fail('only the value, value_float(s) and value_int(s) attributes are supported');
};

const shape: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const dims = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const r = dims.length;
  let start = c.opset >= 15 ? c.int('start', 0) : 0;
  let end = c.opset >= 15 ? c.int('end', r) : r;
  if (start < 0) start += r;
  if (end < 0) end += r;
  const picked = dims.slice(Math.min(Math.max(start, 0), r), Math.min(Math.max(end, 0), r));
  c.out(0, { kind: 'const', tensor: makeConst([picked.length], 'int', picked, c.where) });
};

const gather: Converter = (c: NodeContext) => {
  const data = c.konst(0, 'data');
  const indices = c.konst(1, 'indices');
  c.out(0, { kind: 'const', tensor: foldGather(data, indices, c.int('axis', 0), c.where) });
};

const cast: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const to = c.int('to', 0);
  if (v.kind === 'dyn') {
    if (to !== DataType.FLOAT) c.fail(`computed values are float32; casting them to ${dataTypeName(to)} is not supported`);
    return c.out(0, v);
  }
  const t = v.tensor;
  if (isFloatType(to)) return c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'float', t.data, c.where) });
  if (to === DataType.BOOL) return c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'int', Array.from(t.data, (x) => (x !== 0 ? 1 : 0)), c.where) });
  if (to === DataType.STRING || to === 0 || to > DataType.UINT64) c.fail(`casting to ${dataTypeName(to)} is not supported`);
  c.out(0, { kind: 'const', tensor: makeConst(t.dims, 'int', t.data, c.where) });
};

const slice: Converter = (c: NodeContext) => {
  const data = c.konst(0, 'data');
  const list = (i: number, attr: string) => (c.opset >= 10 ? (c.optConst(i, attr) ? intList(c.konst(i, attr), `${c.where}: ${attr}`) : null) : c.ints(attr, null));
  const starts = list(1, 'starts');
  const ends = list(2, 'ends');
  if (!starts || !ends) c.fail('starts and ends are required');
  c.out(0, { kind: 'const', tensor: foldSlice(data, starts, ends, list(3, 'axes'), c.opset >= 10 ? list(4, 'steps') : null, c.where) });
};

const constantOfShape: Converter = (c: NodeContext) => {
  const dims = intList(c.konst(0, 'shape'), `${c.where}: shape`);
  const value = c.tensorAttr('value');
  const size = checkDims(dims, c.where);
  const kind = value ? value.kind : 'float';
  const fill = value ? scalarOf(value, `${c.where}: value`) : 0;
  if (size > MAX_FOLDED_ELEMENTS) c.fail(`a constant of shape ${fmtShape(dims)} is larger than the ${MAX_FOLDED_ELEMENTS}-element limit`);
  c.out(0, { kind: 'const', tensor: makeConst(dims, kind, new Array<number>(size).fill(fill), c.where) });
};

/** Pad (constant mode) on H and W: a depthwise 1×1 convolution with weights 1 and the padding; a non-zero value v pads x − v with zeros, then adds v back. */
const pad: Converter = (c: NodeContext) => {
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

const transpose: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  if (v.kind === 'dyn') c.fail('transposing computed values is not supported (only constants are folded)');
  c.out(0, { kind: 'const', tensor: foldTranspose(v.tensor, c.ints('perm', null), c.where) });
};

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
  LeakyRelu: (c: NodeContext) => activation({ type: 'leakyRelu', alpha: c.float('alpha', 0.01) })(c),
  HardSigmoid: (c: NodeContext) => activation({ type: 'hardSigmoid', alpha: c.float('alpha', 0.2), beta: c.float('beta', 0.5) })(c),
  HardSwish: activation('hardSwish'),
  LRN: lrn,
  MatMul: matmul,
  MaxPool: pool('max'),
  Mul: arith('Mul'),
  Pad: pad,
  Relu: activation('relu'),
  Reshape: reshape,
  Shape: shape,
  Sigmoid: activation('sigmoid'),
  Slice: slice,
  Softmax: softmax,
  Squeeze: squeezeLike(false),
  Sub: arith('Sub'),
  Tanh: activation('tanh'),
  Transpose: transpose,
  Unsqueeze: squeezeLike(true),
};

/** The ONNX ops the importer converts, sorted. */
/**
 * ONNX node types that ops of the registry declare (`OpDef.onnx`): they import nodes whose
 * inputs are all computed by the graph, with no converter of their own here.
 */
export const REGISTRY_ONNX: ReadonlyMap<string, OpDef<LayerConfig>> = new Map(allOps().flatMap((def) => Object.keys(def.onnx ?? {}).map((t) => [t, def] as const)));

/** Every ONNX op type the importer takes. */
export const SUPPORTED_OPS: readonly string[] = [...new Set([...Object.keys(CONVERTERS), ...REGISTRY_ONNX.keys()])].sort();
