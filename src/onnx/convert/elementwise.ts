/**
 * Converters of the ops that map values one to one or normalise them: the binary ops (Add, Sub,
 * Mul, Div, Pow, Max, Min, Mod, comparisons, logic; folded when both sides are constant), the
 * variadic Sum / Mean / Max / Min, Where, PRelu, the activations and unary math ops, Clip,
 * Softmax / LogSoftmax, BatchNormalization and LRN.
 */
import type { NodeContext, DynValue, Value } from '../context.js';
import type { ConstTensor } from '../tensor.js';
import { foldBinary, makeConst, normAxis, scalarOf } from '../fold.js';
import { type Activation, applyActivation, normalizeActivation } from '../../ops/activation.js';
import { BINARY_OPS, type BinaryLayerOp } from '../../ops/binary.js';
import { fmtShape, sizeOf } from '../../shape.js';
import { type Converter, dyn, reshapeTo } from './common.js';

const FLT_MAX = 3.4028234663852886e38;

/** An activation layer; on a constant input, the table's CPU function folds it (shape arithmetic: Sqrt, Floor, Ceil, …). */
export function activation(act: Activation): Converter {
  return (c: NodeContext) => {
    const v = c.input(0);
    if (v?.kind === 'const') {
      const cfg = normalizeActivation(c.where, act);
      const out = Array.from(v.tensor.data, (x) => applyActivation(x, cfg));
      const kind = v.tensor.kind === 'int' && out.every(Number.isInteger) ? 'int' : 'float';
      c.out(0, { kind: 'const', tensor: makeConst(v.tensor.dims, kind, out, c.where) });
      return;
    }
    c.out(0, c.emit({ type: 'activation', activation: act }, [c.dyn(0)]));
  };
}

export const leakyRelu: Converter = (c: NodeContext) => activation({ type: 'leakyRelu', alpha: c.float('alpha', 0.01) })(c);

export const hardSigmoid: Converter = (c: NodeContext) => activation({ type: 'hardSigmoid', alpha: c.float('alpha', 0.2), beta: c.float('beta', 0.5) })(c);

/** Activations with an `alpha` attribute (Elu, Celu, ThresholdedRelu), ONNX's default 1. */
export const withAlpha = (type: 'elu' | 'celu' | 'thresholdedRelu'): Converter => (c: NodeContext) => activation({ type, alpha: c.float('alpha', 1) })(c);

// ONNX's Selu defaults, as float32.
export const selu: Converter = (c: NodeContext) =>
  activation({ type: 'selu', alpha: c.float('alpha', 1.67326319217681884765625), gamma: c.float('gamma', 1.05070102214813232421875) })(c);

export const gelu: Converter = (c: NodeContext) => {
  const approximate = c.str('approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') c.fail(`approximate '${approximate}' is not supported (expected 'none' or 'tanh')`);
  activation(approximate === 'tanh' ? 'geluTanh' : 'gelu')(c);
};

/** Swish(x) = x·sigmoid(αx) (ONNX opset 24; also what the SiLU pattern of src/onnx/patterns.ts becomes): α = 1 is SiLU. */
export const swish: Converter = (c: NodeContext) => {
  const alpha = c.float('alpha', 1);
  if (alpha !== 1) c.fail(`alpha ${alpha} is not supported (only 1: SiLU)`);
  activation('silu')(c);
};


/** Scalar constant operands of Max/Min become a fused clip. */
function clipOf(op: BinaryLayerOp, t: ConstTensor, x: DynValue): Activation | null {
  if ((op !== 'max' && op !== 'min') || sizeOf(t.dims) !== 1 || t.dims.length > x.shape.length) return null;
  const v = t.data[0];
  if (!Number.isFinite(v)) return null;
  return op === 'max' ? { type: 'clip', min: v, max: FLT_MAX } : { type: 'clip', min: -FLT_MAX, max: v };
}

/**
 * a ∘ b for any mix of computed and constant operands: folded when both are constant; add/mul
 * of computed values are the add/mul layers (fused activations), a constant operand of
 * add/sub/mul/div a binaryConst (x − c as x + (−c), x / c as x · (1/c)), a scalar bound of
 * max/min a clip, and anything else a binary layer (its constant as a parameter on its side).
 */
function combine(c: NodeContext, op: BinaryLayerOp, a: Value, b: Value, suffix?: string): Value {
  if (a.kind === 'const' && b.kind === 'const') {
    return { kind: 'const', tensor: foldBinary(a.tensor, b.tensor, BINARY_OPS[op].cpu, c.where) };
  }
  const checkBatch = (y: DynValue, x: DynValue, t: ConstTensor): DynValue => {
    if (y.shape.length !== x.shape.length || y.shape[0] !== x.shape[0]) {
      c.fail(`the constant ${fmtShape(t.dims)} would change the batch dimension (axis 0) of ${fmtShape(x.shape)}`);
    }
    return y;
  };
  const withConst = (x: DynValue, t: ConstTensor, kind: 'add' | 'mul', map: (v: number) => number, sfx?: string): DynValue =>
    checkBatch(c.emit({ type: 'binaryConst', op: kind, shape: t.dims }, [x], [Float32Array.from(t.data, map)], sfx), x, t);
  if (dyn(a) && dyn(b)) {
    if (op === 'add' || op === 'mul') return c.emit({ type: op }, [a, b], [], suffix);
    return c.emit({ type: 'binary', op }, [a, b], [], suffix);
  }
  const constRight = b.kind === 'const';
  const x = (constRight ? a : b) as DynValue;
  const t = (constRight ? b : a) as { tensor: ConstTensor };
  const commutes = op === 'add' || op === 'mul' || op === 'max' || op === 'min';
  if (op === 'add' || op === 'mul') return withConst(x, t.tensor, op, (v) => v, suffix);
  if (constRight && op === 'sub') return withConst(x, t.tensor, 'add', (v) => -v, suffix);
  if (constRight && op === 'div') return withConst(x, t.tensor, 'mul', (v) => 1 / v, suffix);
  const clipAct = clipOf(op, t.tensor, x);
  if (clipAct) return c.emit({ type: 'activation', activation: clipAct }, [x], [], suffix);
  const side = constRight || commutes ? 'right' : 'left';
  return checkBatch(c.emit({ type: 'binary', op, shape: t.tensor.dims, constant: side }, [x], [c.floatData(t.tensor)], suffix), x, t.tensor);
}

/** A two-input elementwise op: Add, Sub, Mul, Div, Pow, Mod, the comparisons, And, Or, Xor. */
export function binaryNode(op: BinaryLayerOp): Converter {
  return (c: NodeContext) => {
    const a = c.input(0);
    const b = c.input(1);
    if (!a || !b) c.fail('needs two inputs');
    // Integer graph inputs run as exact floats; anything else computed is float data.
    const float = (v: Value) => (v.kind === 'dyn' ? !c.ctx.integerInputs.has(v.ref) : v.tensor.kind === 'float');
    const integers = !float(a) && !float(b);
    let fmod = true;
    if (op === 'mod') {
      fmod = c.int('fmod', 0) === 1;
      if (!fmod && !integers) c.fail('fmod = 0 on floats is not supported (ONNX requires fmod = 1 for floating-point Mod)');
    }
    // On integers, Div truncates, and Mod with fmod = 0 has the divisor's sign (Python's %).
    const as = op === 'mod' && !fmod ? 'floorMod' : op === 'div' && integers ? 'truncDiv' : op;
    c.out(0, combine(c, as, a, b));
  };
}

/** Sum, Mean, Max, Min of one or more inputs, broadcast together, combined left to right. */
export function variadic(op: 'add' | 'max' | 'min', mean = false): Converter {
  return (c: NodeContext) => {
    const n = c.inputCount();
    const values = Array.from({ length: n }, (_, i) => c.input(i) ?? c.fail(`input ${i} is missing`));
    if (values.length === 0) c.fail('needs at least one input');
    let acc = values[0];
    for (let i = 1; i < n; i++) acc = combine(c, op, acc, values[i], i === n - 1 && !mean ? undefined : `${op}${i}`);
    if (mean && n > 1) acc = combine(c, 'mul', acc, { kind: 'const', tensor: makeConst([], 'float', [1 / n], c.where) });
    if (acc.kind === 'dyn' && n === 1) acc = c.emit({ type: 'activation', activation: 'none' }, [acc]);
    c.out(0, acc);
  };
}

/** Where(condition, a, b): constants become the layer's parameters. */
export const where: Converter = (c: NodeContext) => {
  const vals = [0, 1, 2].map((i) => c.input(i) ?? c.fail(`input ${i} is missing`));
  const inputs = vals.filter(dyn);
  if (inputs.length === 0) c.fail('Where of three constants is not supported');
  const constants = vals.map((v) => (v.kind === 'const' ? v.tensor.dims : null));
  const params = vals.flatMap((v) => (v.kind === 'const' ? [c.floatData(v.tensor)] : []));
  c.out(0, c.emit(constants.some((k) => k) ? { type: 'where', constants } : { type: 'where' }, inputs, params));
};

/**
 * PRelu(x, slope): a constant slope is the prelu layer's trainable weight ((C, 1, …, 1) as
 * PyTorch's [C]); a computed one is the binary op prelu.
 */
export const prelu: Converter = (c: NodeContext) => {
  const x = c.dyn(0);
  const s = c.input(1) ?? c.fail('slope is missing');
  if (s.kind === 'dyn') {
    c.out(0, c.emit({ type: 'binary', op: 'prelu' }, [x, s]));
    return;
  }
  const dims = s.tensor.dims;
  const r = x.shape.length;
  const perChannel = r >= 2 && dims.length === r - 1 && dims.slice(1).every((d) => d === 1) && dims[0] === x.shape[1];
  // ONNX broadcasts the slope from the last axis: a 1-D slope of K is (…, K) (kept so by [1, K]), except K = C on a rank-2 input.
  const shape = perChannel ? [dims[0]] : dims.length === 1 && dims[0] !== 1 && r > 2 ? [1, dims[0]] : dims;
  c.out(0, c.emit({ type: 'prelu', shape }, [x], [c.floatData(s.tensor)]));
};

export const clip: Converter = (c: NodeContext) => {
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

/** Softmax, or with `log` LogSoftmax (the same axis rules). */
export const softmax = (log = false): Converter => (c: NodeContext) => {
  const x = c.dyn(0);
  const r = x.shape.length;
  const flag = log ? { log: true } : {};
  if (c.opset >= 13) {
    const axis = normAxis(c.int('axis', -1), r, c.where);
    c.out(0, c.emit({ type: 'softmax', axis, ...flag }, [x]));
    return;
  }
  // Before opset 13: the input is viewed as 2-D, (d0 … d_{axis-1}, d_axis … d_last), and each row normalised.
  const axis = normAxis(c.int('axis', 1), r, c.where);
  if (axis === r - 1) {
    c.out(0, c.emit({ type: 'softmax', axis: -1, ...flag }, [x]));
    return;
  }
  if (axis === 0) c.fail('softmax over every axis including the batch (opset < 13, axis 0) is not supported');
  const flat = reshapeTo(c, x, (s) => [...s.slice(0, axis), sizeOf(s.slice(axis))], 'rows');
  const y = c.emit({ type: 'softmax', axis: -1, ...flag }, [flat], [], 'softmax');
  c.out(0, reshapeTo(c, y, x));
};

export const lrn: Converter = (c: NodeContext) => {
  const x = c.dyn(0);
  const size = c.int('size', 0);
  if (size < 1) c.fail('attribute size must be a positive integer');
  c.out(0, c.emit({ type: 'lrn', size, alpha: c.float('alpha', 1e-4), beta: c.float('beta', 0.75), k: c.float('bias', 1) }, [x]));
};

export const batchNorm: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  if (c.opset >= 14 && c.int('training_mode', 0) !== 0) c.fail('training_mode = 1 is not supported (inference only)');
  c.unusedOutputsFrom(1, 'training statistics');
  const params = ['scale', 'B', 'mean', 'var'].map((what, i) => c.operand(i + 1) ?? c.fail(`input ${what} is missing`));
  c.out(0, c.emit({ type: 'batchNorm', epsilon: c.float('epsilon', 1e-5) }, [x], params.map((p) => c.paramOf(p))));
};
