/**
 * Broadcasting elementwise ops of two computed values (sub, div, pow, min, max, mod, floorMod, truncDiv, the
 * comparisons and logic producing 0/1) and where(cond, a, b): the primitives `binary` and
 * `where`, and the layers binary, where and prelu.
 *
 * One table, `BINARY_OPS`, defines each binary op once: its WGSL expression of `a` and `b`
 * (the `case` arms of `binary_op()` in shaders/elementwise.wgsl are generated from it) and its
 * CPU twin. add and mul are its codes 0 and 1: the Backend's add/mul (with their fused
 * activation) run on the same kernel.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { TrainingBackend } from '../backends/training.js';
import { type Shape, broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import { defineOp, param, reduceTo } from './op.js';
import { definePrimitive } from './primitive.js';
import { type Activation, isActivation, normalizeActivation } from './activation.js';

export interface BinaryOpDef {
  /** The `OP` override constant of the elementwise kernel. */
  readonly code: number;
  /** An f32 expression of `a` and `b`; may call the activation prelude's helpers (div_ieee, pow_ieee, …). */
  readonly wgsl: string;
  /** The same in float64. */
  readonly cpu: (a: number, b: number) => number;
}

const bool = (v: boolean): number => (v ? 1 : 0);

/** Every binary op, by name. Comparisons and logic give 1 for true and 0 for false; logic reads non-zero as true. */
export const BINARY_OPS = {
  add: { code: 0, wgsl: 'a + b', cpu: (a, b) => a + b },
  mul: { code: 1, wgsl: 'a * b', cpu: (a, b) => a * b },
  sub: { code: 2, wgsl: 'a - b', cpu: (a, b) => a - b },
  // x/0 is ±inf, 0/0 NaN (IEEE's, which WGSL leaves to the implementation).
  div: { code: 3, wgsl: 'div_ieee(a, b)', cpu: (a, b) => a / b },
  // C's pow: a negative base needs an integer exponent (else NaN), 0^negative is inf.
  pow: { code: 4, wgsl: 'pow_ieee(a, b)', cpu: (a, b) => a ** b },
  // A NaN operand of max/min gives NaN on both backends (WGSL's own max/min may drop it; max_nan tests the bits).
  max: { code: 5, wgsl: 'max_nan(a, b)', cpu: (a, b) => Math.max(a, b) },
  min: { code: 6, wgsl: 'min_nan(a, b)', cpu: (a, b) => Math.min(a, b) },
  // C's fmod (ONNX Mod with fmod = 1): the sign of a; x mod 0 is NaN.
  mod: { code: 7, wgsl: 'fmod_ieee(a, b)', cpu: (a, b) => a % b },
  equal: { code: 8, wgsl: 'select(0.0, 1.0, a == b)', cpu: (a, b) => bool(a === b) },
  less: { code: 9, wgsl: 'select(0.0, 1.0, a < b)', cpu: (a, b) => bool(a < b) },
  lessOrEqual: { code: 10, wgsl: 'select(0.0, 1.0, a <= b)', cpu: (a, b) => bool(a <= b) },
  greater: { code: 11, wgsl: 'select(0.0, 1.0, a > b)', cpu: (a, b) => bool(a > b) },
  greaterOrEqual: { code: 12, wgsl: 'select(0.0, 1.0, a >= b)', cpu: (a, b) => bool(a >= b) },
  and: { code: 13, wgsl: 'select(0.0, 1.0, a != 0.0 && b != 0.0)', cpu: (a, b) => bool(a !== 0 && b !== 0) },
  or: { code: 14, wgsl: 'select(0.0, 1.0, a != 0.0 || b != 0.0)', cpu: (a, b) => bool(a !== 0 || b !== 0) },
  xor: { code: 15, wgsl: 'select(0.0, 1.0, (a != 0.0) != (b != 0.0))', cpu: (a, b) => bool(a !== 0 !== (b !== 0)) },
  // Gradient helpers. ∂(a^b)/∂a = b·a^(b−1) (1 at b = 1 even where a = 0).
  powBaseGrad: { code: 16, wgsl: 'b * pow_ieee(a, b - 1.0)', cpu: (a, b) => (b === 1 ? 1 : b * a ** (b - 1)) },
  // ∂max(a, b)/∂a: 1 where a wins, ½ on a tie (PyTorch's split), 0 where b wins.
  maxMask: { code: 17, wgsl: 'select(select(0.0, 0.5, a == b), 1.0, a > b)', cpu: (a, b) => (a > b ? 1 : a === b ? 0.5 : 0) },
  // PReLU of a with slope b, and its derivatives in a and in b.
  prelu: { code: 18, wgsl: 'select(b * a, a, a > 0.0)', cpu: (a, b) => (a > 0 ? a : b * a) },
  preluGradX: { code: 19, wgsl: 'select(b, 1.0, a > 0.0)', cpu: (a, b) => (a > 0 ? 1 : b) },
  preluGradSlope: { code: 20, wgsl: 'select(a, 0.0, a > 0.0)', cpu: (a) => (a > 0 ? 0 : a) },
  // Integer-style modulo (ONNX Mod with fmod = 0, Python's %): the sign of b (fmod plus b when their signs differ); x mod 0 is NaN.
  floorMod: { code: 21, wgsl: 'floor_mod(a, b)', cpu: (a, b) => { const r = a % b; return r !== 0 && r < 0 !== b < 0 ? r + b : r; } },
  // Integer division (ONNX Div of integers, run as exact floats): C's truncation toward zero; exact below 2^24.
  truncDiv: { code: 22, wgsl: 'trunc(div_ieee(a, b))', cpu: (a, b) => Math.trunc(a / b) },
} as const satisfies Record<string, BinaryOpDef>;

export type BinaryOpName = keyof typeof BINARY_OPS;

/** The ops a `binary` layer takes (the gradient helpers are not layers). */
export type BinaryLayerOp = Exclude<BinaryOpName, 'powBaseGrad' | 'maxMask' | 'preluGradX' | 'preluGradSlope'>;

/** The ops with a gradient; the comparisons and logic are piecewise constant (gradient 0), mod has none here. */
const DIFFERENTIABLE = new Set<BinaryOpName>(['add', 'mul', 'sub', 'div', 'pow', 'max', 'min', 'prelu']);

/** WGSL `case` arms of `binary_op(a, b)`, one per table row. */
export function binaryWgslCases(): string {
  return Object.values(BINARY_OPS)
    .map((d: BinaryOpDef) => `    case ${d.code}u: { return ${d.wgsl}; }`)
    .join('\n');
}

export function binaryOpDef(op: string, layer?: string): BinaryOpDef {
  if (!Object.hasOwn(BINARY_OPS, op)) {
    throw new InvalidArgumentError('binary', `unknown op ${JSON.stringify(op)}; expected one of ${Object.keys(BINARY_OPS).join(', ')}`, layer);
  }
  return BINARY_OPS[op as BinaryOpName];
}

export interface BinaryAttrs {
  readonly op: BinaryOpName;
  /** Applied to the result at its store. */
  readonly activation?: Activation;
}

/** a ∘ b elementwise with NumPy broadcasting (any ranks). */
export const BINARY = definePrimitive<BinaryAttrs>({
  name: 'binary',
  infer([a, b], { op, activation }) {
    binaryOpDef(op);
    normalizeActivation(op, activation);
    if (!a || !b) throw new ShapeError(op, 'takes two inputs');
    return broadcastShapes(op, a, b);
  },
});

/** cond ? a : b elementwise (cond non-zero is true), the three broadcast together. */
export const WHERE = definePrimitive<Record<string, never>>({
  name: 'where',
  infer([c, a, b]) {
    if (!c || !a || !b) throw new ShapeError('where', 'takes three inputs (condition, a, b)');
    return broadcastShapes('where', broadcastShapes('where', c, a), b);
  },
});

/** Runs a binary op, optionally activated. */
export function binary(b: { prim: TrainingBackend['prim'] }, op: BinaryOpName, x: Tensor, y: Tensor, activation?: Activation): Tensor {
  return b.prim(BINARY, [x, y], isActivation(activation) ? { op, activation } : { op });
}

/**
 * Gradients of `a ∘ b` for the differentiable ops, before reduction to the operands' shapes:
 * [∂L/∂a, ∂L/∂b] given dy and the forward's output y. Undefined where `need` is false.
 */
function binaryGrads(tb: TrainingBackend, op: BinaryOpName, a: Tensor, b: Tensor, y: Tensor, dy: Tensor, need: readonly [boolean, boolean], layer: string): [Tensor?, Tensor?] {
  const bin = (o: BinaryOpName, p: Tensor, q: Tensor) => binary(tb, o, p, q);
  switch (op) {
    case 'add':
      return [need[0] ? dy : undefined, need[1] ? dy : undefined];
    case 'sub':
      return [need[0] ? dy : undefined, need[1] ? tb.activation(dy, 'neg') : undefined];
    case 'mul':
      return [need[0] ? tb.mul(dy, b) : undefined, need[1] ? tb.mul(dy, a) : undefined];
    case 'div':
      // ∂/∂a = 1/b, ∂/∂b = −a/b² = −y/b.
      return [need[0] ? bin('div', dy, b) : undefined, need[1] ? tb.activation(bin('div', tb.mul(dy, y), b), 'neg') : undefined];
    case 'pow':
      // ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a = y·ln a.
      return [need[0] ? tb.mul(dy, bin('powBaseGrad', a, b)) : undefined, need[1] ? tb.mul(dy, tb.mul(y, tb.activation(a, 'log'))) : undefined];
    case 'max':
      return [need[0] ? tb.mul(dy, bin('maxMask', a, b)) : undefined, need[1] ? tb.mul(dy, bin('maxMask', b, a)) : undefined];
    case 'min':
      return [need[0] ? tb.mul(dy, bin('maxMask', b, a)) : undefined, need[1] ? tb.mul(dy, bin('maxMask', a, b)) : undefined];
    case 'prelu':
      return [need[0] ? tb.mul(dy, bin('preluGradX', a, b)) : undefined, need[1] ? tb.mul(dy, bin('preluGradSlope', a, b)) : undefined];
    case 'mod':
    case 'floorMod':
    case 'truncDiv':
    case 'powBaseGrad':
    case 'maxMask':
    case 'preluGradX':
    case 'preluGradSlope':
      throw new InvalidArgumentError('binary', `${op} has no gradient (${[...DIFFERENTIABLE].join(', ')} train; comparisons and logic pass none back)`, layer);
    default:
      // Comparisons and logic are piecewise constant: no gradient reaches their operands.
      return [undefined, undefined];
  }
}

// ---------------------------------------------------------------------------------------------
// Layers

/**
 * a ∘ b of two inputs with NumPy broadcasting, or of the input and a constant parameter
 * `value` of `shape` (ONNX's ops with an initializer operand), the constant on the `constant`
 * side: 'right' (default) is x ∘ value, 'left' value ∘ x (a constant divided by a computed value).
 */
export interface BinaryLayer {
  type: 'binary';
  op: BinaryLayerOp;
  /** The shape of a constant operand, when there is one; then the layer takes one input. */
  shape?: readonly number[];
  constant?: 'left' | 'right';
  activation?: Activation;
}

/** The operands in order: the inputs, with the constant parameter on its side. */
function operands(layer: BinaryLayer, inputs: readonly Tensor[], params: readonly Tensor[]): [Tensor, Tensor] {
  if (!layer.shape) return [inputs[0], inputs[1]];
  return layer.constant === 'left' ? [params[0], inputs[0]] : [inputs[0], params[0]];
}

export const binaryOp = defineOp<BinaryLayer>({
  type: 'binary',
  inputs: [1, 2],
  params(layer, inputs, name) {
    binaryOpDef(layer.op, name);
    if ((layer.shape ? 1 : 2) !== inputs.length) {
      throw new ShapeError('binary', `${layer.op} takes ${layer.shape ? 'one input and its constant operand' : 'two inputs'}, got ${inputs.length} input${inputs.length === 1 ? '' : 's'}`, name);
    }
    // Built with random weights, a constant factor, divisor or exponent starts at 1, any other at 0.
    const neutral = layer.op === 'div' || layer.op === 'pow' ? 1 : 0;
    return layer.shape ? [param('value', [...layer.shape], { kind: 'constant', value: neutral })] : [];
  },
  forward: (b, { layer, inputs, params }) => binary(b, layer.op, ...operands(layer, inputs, params), layer.activation),
  // dy arrives at the pre-activation result (the trainer differentiates a fused activation
  // first), and `output` is then the activated one: div and pow, which read the result, recompute it.
  backward(b, { layer, name, inputs, params, output: activated, dy, needInput }) {
    const [x, y] = operands(layer, inputs, params);
    const output = isActivation(layer.activation) && (layer.op === 'div' || layer.op === 'pow') ? binary(b, layer.op, x, y) : activated;
    const left = layer.shape && layer.constant === 'left';
    const need: [boolean, boolean] = layer.shape ? (left ? [true, needInput[0]] : [needInput[0], true]) : [needInput[0], needInput[1]];
    const [dx, dyv] = binaryGrads(b, layer.op, x, y, output, dy, need, name);
    const ga = dx && reduceTo(b, dx, x.shape);
    const gb = dyv && reduceTo(b, dyv, y.shape);
    if (!layer.shape) return { inputs: [ga, gb] };
    return left ? { inputs: [gb], params: [ga] } : { inputs: [ga], params: [gb] };
  },
  flops: (_layer, _inputs, output) => sizeOf(output),
  fusesActivation: true,
});

/** cond ? a : b, elementwise with broadcasting (ONNX's Where): cond non-zero is true. */
export interface WhereLayer {
  type: 'where';
  /** Shapes of constant operands by position (0 the condition, 1 a, 2 b), each a parameter `c0`/`c1`/`c2`; the others are the inputs in order. */
  constants?: readonly (readonly number[] | null)[];
}

function whereOperands(layer: WhereLayer, inputs: readonly Tensor[], params: readonly Tensor[]): Tensor[] {
  let i = 0;
  let p = 0;
  return [0, 1, 2].map((k) => (layer.constants?.[k] ? params[p++] : inputs[i++]));
}

export const whereOp = defineOp<WhereLayer>({
  type: 'where',
  inputs: [1, 3],
  params(layer, inputs, name) {
    const consts = layer.constants ?? [];
    const specs = [0, 1, 2].flatMap((k) => (consts[k] ? [param(`c${k}`, [...consts[k]!], { kind: 'constant', value: 0 }, false)] : []));
    if (specs.length + inputs.length !== 3) throw new ShapeError('where', `takes three operands, got ${inputs.length} inputs and ${specs.length} constants`, name);
    return specs;
  },
  forward: (b, { layer, inputs, params }) => b.prim(WHERE, whereOperands(layer, inputs, params), {}),
  backward(b, { layer, inputs, params, dy, needInput }) {
    const [c, x, y] = whereOperands(layer, inputs, params);
    // dy where the condition holds to a, elsewhere to b; the condition gets none.
    const isFalse = b.activation(c, 'not');
    const byOperand = [undefined, reduceTo(b, b.mul(dy, b.activation(isFalse, 'not')), x.shape), reduceTo(b, b.mul(dy, isFalse), y.shape)];
    const grads: (Tensor | undefined)[] = [];
    for (const k of [0, 1, 2]) if (!layer.constants?.[k]) grads.push(needInput[grads.length] ? byOperand[k] : undefined);
    return { inputs: grads };
  },
  flops: (_layer, _inputs, output) => sizeOf(output),
});

/**
 * PReLU: x where x > 0, else slope·x, with a trainable `weight` (PyTorch's nn.PReLU) of
 * `shape`: [C] is per channel (axis 1) of (N, C, …) inputs, [1] shared, and any other shape
 * broadcasts against the input (NumPy's rule, as ONNX's PRelu slope).
 */
export interface PreluLayer {
  type: 'prelu';
  /** The slope's shape. Default [1]. */
  shape?: readonly number[];
  /** Initial slope. Default 0.25 (PyTorch's). */
  init?: number;
}

/** The slope's shape as it broadcasts against input `x`: [C] becomes (C, 1, …, 1) on channel axis 1. */
export function preluSlopeShape(shape: readonly number[], x: Shape, name?: string): number[] {
  const s = shape.length === 1 && x.length > 2 && shape[0] !== 1 ? [shape[0], ...new Array<number>(x.length - 2).fill(1)] : [...shape];
  let out: number[];
  try {
    out = broadcastShapes('prelu', x, s);
  } catch {
    out = [];
  }
  if (out.length !== x.length || out.some((d, k) => d !== x[k])) throw new ShapeError('prelu', `slope ${fmtShape(shape)} does not broadcast to input ${fmtShape(x)}`, name);
  return s;
}

export const preluOp = defineOp<PreluLayer>({
  type: 'prelu',
  inputs: 1,
  params(layer, [x], name) {
    const shape = [...(layer.shape ?? [1])];
    preluSlopeShape(shape, x, name);
    return [param('weight', shape, { kind: 'constant', value: layer.init ?? 0.25 })];
  },
  forward: (b, { layer, name, inputs: [x], params: [w] }) => binary(b, 'prelu', x, b.reshape(w, preluSlopeShape(layer.shape ?? [1], x.shape, name))),
  backward(b, { layer, name, inputs: [x], params: [w], dy, needInput }) {
    const slope = b.reshape(w, preluSlopeShape(layer.shape ?? [1], x.shape, name));
    const [dx, ds] = binaryGrads(b, 'prelu', x, slope, dy, dy, [needInput[0], true], name);
    return { inputs: [dx], params: [b.reshape(reduceTo(b, ds!, slope.shape), w.shape)] };
  },
  flops: (_layer, _inputs, output) => 2 * sizeOf(output),
});
