/**
 * Converters of the ops that map values one to one or normalise them: Add / Sub / Mul / Div
 * (folded when both sides are constant; Sub of a computed value is an add of its negation), the
 * activations, Clip, Softmax, BatchNormalization and LRN.
 */
import type { NodeContext, DynValue } from '../context.js';
import type { ConstTensor } from '../tensor.js';
import { foldBinary, makeConst, normAxis, scalarOf } from '../fold.js';
import type { Activation } from '../../ops/activation.js';
import { fmtShape, sizeOf } from '../../shape.js';
import { type Converter, dyn, reshapeTo } from './common.js';

const FLT_MAX = 3.4028234663852886e38;

export function activation(act: Activation): Converter {
  return (c: NodeContext) => c.out(0, c.emit({ type: 'activation', activation: act }, [c.dyn(0)]));
}

export const leakyRelu: Converter = (c: NodeContext) => activation({ type: 'leakyRelu', alpha: c.float('alpha', 0.01) })(c);

export const hardSigmoid: Converter = (c: NodeContext) => activation({ type: 'hardSigmoid', alpha: c.float('alpha', 0.2), beta: c.float('beta', 0.5) })(c);

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div';
const ARITH: Record<Arith, (x: number, y: number) => number> = {
  Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y,
};

export function arith(op: Arith): Converter {
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

export const softmax: Converter = (c: NodeContext) => {
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
