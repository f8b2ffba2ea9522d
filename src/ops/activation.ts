/**
 * Activations, standalone or fused into the op before them (conv2d, matmul, batch norm,
 * subsampling, add). One table, `ACTIVATIONS`, defines each activation once: its WGSL
 * expression, its CPU twin and its derivative. The WGSL `activate()` switch of the prelude
 * `shaders/activation.wgsl` and the `activation_grad()` switch of
 * `shaders/activation_backward.wgsl` are generated from it, and the CPU reference evaluates the
 * same rows, so the three cannot disagree about codes or constants.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../shape.js';
import { defineOp } from './op.js';
import type { Activation } from './params.js';

export type { Activation, ActivationName } from './params.js';

/** LeCun 1998: f(x) = A·tanh(S·x) with A = 1.7159, S = 2/3. */
export const SCALED_TANH_A = 1.7159;
export const SCALED_TANH_S = 2 / 3;

/**
 * One activation. `wgsl` is an f32 expression of `x` and `grad.wgsl` one of `x` or `y` (the
 * value `grad.from` names); both may read the override constants `ACT_A` and `ACT_B` and the
 * prelude's helpers (`stable_tanh`, `stable_sigmoid`). `cpu` and `grad.cpu` are the same
 * functions in float64 with `a`, `b` for ACT_A, ACT_B.
 */
export interface ActivationDef {
  /** The `ACT` override constant that selects it; 0 is reserved for none. */
  readonly code: number;
  readonly wgsl: string;
  readonly cpu: (x: number, a: number, b: number) => number;
  /**
   * The derivative, from the activation's output `y` when it determines it (then a fused
   * activation trains without keeping its input), else from its input `x`.
   */
  readonly grad: { readonly from: 'x' | 'y'; readonly wgsl: string; readonly cpu: (v: number, a: number, b: number) => number };
  /**
   * The constants ACT_A and ACT_B of a parameterised activation, by name, as its object form
   * takes them (`{ type: 'leakyRelu', alpha: 0.1 }`): a default, or required when it has none.
   * `example` is a typical value, for tests and docs.
   */
  readonly args?: readonly ActivationArg[];
  /** Checks the constants; returns what is wrong, if anything. */
  readonly check?: (a: number, b: number) => string | undefined;
  /**
   * Where it is finite and smooth, when that is not every real: log and sqrt need x > 0,
   * reciprocal x ≠ 0 (outside, the results are IEEE's: NaN, ±inf). Tests draw inputs from there.
   */
  readonly domain?: 'positive' | 'nonzero';
  /** Piecewise constant (floor, round, sign): its derivative is 0 wherever it has one. */
  readonly stepwise?: boolean;
}

export interface ActivationArg {
  readonly name: string;
  readonly default?: number;
  readonly example: number;
}

/** Every activation, by name. Names are what `Activation` strings and `{ type }` objects use. */
export const ACTIVATIONS = {
  relu: {
    code: 1,
    wgsl: 'max(x, 0.0)',
    cpu: (x) => (x > 0 ? x : 0),
    grad: { from: 'y', wgsl: 'select(0.0, 1.0, y > 0.0)', cpu: (y) => (y > 0 ? 1 : 0) },
  },
  leakyRelu: {
    code: 2,
    wgsl: 'select(ACT_A * x, x, x > 0.0)',
    cpu: (x, a) => (x > 0 ? x : a * x),
    grad: { from: 'y', wgsl: 'select(ACT_A, 1.0, y > 0.0)', cpu: (y, a) => (y > 0 ? 1 : a) },
    args: [{ name: 'alpha', default: 0.01, example: 0.1 }],
  },
  // min(max()) rather than clamp(): clamp with constant bounds is validated even when unused.
  // The gradient is 1 strictly inside [ACT_A, ACT_B] and 0 where the forward clamped; y is
  // float32, so the CPU compares with the float32 bounds the forward clamped to.
  clip: {
    code: 3,
    wgsl: 'min(max(x, ACT_A), ACT_B)',
    cpu: (x, a, b) => Math.min(Math.max(x, a), b),
    grad: {
      from: 'y',
      wgsl: 'select(0.0, 1.0, y > ACT_A && y < ACT_B)',
      cpu: (y, a, b) => (y > Math.fround(a) && y < Math.fround(b) ? 1 : 0),
    },
    args: [{ name: 'min', example: -0.5 }, { name: 'max', example: 0.7 }],
    check: (a, b) => (a <= b ? undefined : `clip needs min <= max, got min ${a}, max ${b}`),
  },
  sigmoid: {
    code: 4,
    wgsl: 'stable_sigmoid(x)',
    cpu: (x) => 1 / (1 + Math.exp(-x)),
    grad: { from: 'y', wgsl: 'y * (1.0 - y)', cpu: (y) => y * (1 - y) },
  },
  tanh: {
    code: 5,
    wgsl: 'stable_tanh(x)',
    cpu: (x) => Math.tanh(x),
    grad: { from: 'y', wgsl: '1.0 - y * y', cpu: (y) => 1 - y * y },
  },
  // A·S·(1 − (y/A)²) with A = 1.7159, S = 2/3.
  scaledTanh: {
    code: 6,
    wgsl: '1.7159 * stable_tanh(0.6666666666666666 * x)',
    cpu: (x) => SCALED_TANH_A * Math.tanh(SCALED_TANH_S * x),
    grad: {
      from: 'y',
      wgsl: '1.1439333333333332 * (1.0 - (y / 1.7159) * (y / 1.7159))',
      cpu: (y) => SCALED_TANH_A * SCALED_TANH_S * (1 - (y / SCALED_TANH_A) ** 2),
    },
  },
  // PyTorch's Hardswish, ONNX's HardSwish: x · clamp(x/6 + 1/2, 0, 1) (MobileNetV3). Not
  // invertible from y (two inputs give the same output below zero), so its gradient reads x.
  hardSwish: {
    code: 7,
    wgsl: 'x * min(max(x * (1.0 / 6.0) + 0.5, 0.0), 1.0)',
    cpu: (x) => x * Math.min(Math.max(x / 6 + 0.5, 0), 1),
    grad: {
      from: 'x',
      wgsl: 'select(select((2.0 * x + 3.0) * (1.0 / 6.0), 1.0, x >= 3.0), 0.0, x <= -3.0)',
      cpu: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6),
    },
  },
  // ONNX's HardSigmoid: clamp(alpha·x + beta, 0, 1); by name PyTorch's Hardsigmoid (alpha 1/6,
  // beta 1/2; ONNX's own defaults are 0.2 and 0.5). The gradient is alpha strictly inside (0, 1).
  hardSigmoid: {
    code: 8,
    wgsl: 'min(max(ACT_A * x + ACT_B, 0.0), 1.0)',
    cpu: (x, a, b) => Math.min(Math.max(a * x + b, 0), 1),
    grad: { from: 'y', wgsl: 'select(0.0, ACT_A, y > 0.0 && y < 1.0)', cpu: (y, a) => (y > 0 && y < 1 ? a : 0) },
    args: [{ name: 'alpha', default: 1 / 6, example: 0.2 }, { name: 'beta', default: 0.5, example: 0.4 }],
  },
  // The ones below follow ONNX's definitions (Gelu, Elu, Selu, Celu, Softplus, Softsign, Mish,
  // ThresholdedRelu and the unary math ops); every WGSL result that WGSL leaves to the
  // implementation (exp overflow, log of 0 or a negative, sqrt of a negative, 1/0) is made
  // IEEE's by the prelude's *_ieee helpers.
  gelu: {
    code: 9,
    wgsl: '0.5 * x * (1.0 + erf_f32(x * 0.7071067811865476))',
    cpu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
    // Φ(x) + x·φ(x).
    grad: {
      from: 'x',
      wgsl: '0.5 * (1.0 + erf_f32(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp(-0.5 * x * x)',
      cpu: (x) => 0.5 * (1 + erf(x * Math.SQRT1_2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
    },
  },
  // GELU's tanh approximation (ONNX Gelu approximate = 'tanh', PyTorch GELU(approximate='tanh')):
  // ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
  geluTanh: {
    code: 10,
    wgsl: '0.5 * x * (1.0 + stable_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
    cpu: (x) => 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x ** 3))),
    grad: {
      from: 'x',
      wgsl: 'gelu_tanh_grad(x)',
      cpu: (x) => {
        const t = Math.tanh(GELU_TANH_C * (x + 0.044715 * x ** 3));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_C * (1 + 3 * 0.044715 * x * x);
      },
    },
  },
  // x·sigmoid(x) (SiLU, swish).
  silu: {
    code: 11,
    wgsl: 'x * stable_sigmoid(x)',
    cpu: (x) => x / (1 + Math.exp(-x)),
    grad: { from: 'x', wgsl: 'silu_grad(x)', cpu: (x) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 + x * (1 - s)); } },
  },
  // α(eˣ − 1) below zero. The exp of min(x, 0): select() evaluates both sides.
  elu: {
    code: 12,
    wgsl: 'select(ACT_A * (exp(min(x, 0.0)) - 1.0), x, x > 0.0)',
    cpu: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
    grad: { from: 'x', wgsl: 'select(ACT_A * exp(min(x, 0.0)), 1.0, x > 0.0)', cpu: (x, a) => (x > 0 ? 1 : a * Math.exp(x)) },
    args: [{ name: 'alpha', default: 1, example: 0.7 }],
  },
  // γ·elu_α(x), with ONNX's (and the SELU paper's) float32 constants as defaults.
  selu: {
    code: 13,
    wgsl: 'ACT_B * select(ACT_A * (exp(min(x, 0.0)) - 1.0), x, x > 0.0)',
    cpu: (x, a, b) => b * (x > 0 ? x : a * Math.expm1(x)),
    grad: { from: 'x', wgsl: 'ACT_B * select(ACT_A * exp(min(x, 0.0)), 1.0, x > 0.0)', cpu: (x, a, b) => b * (x > 0 ? 1 : a * Math.exp(x)) },
    args: [{ name: 'alpha', default: 1.6732632423543772, example: 1.5 }, { name: 'gamma', default: 1.0507009873554805, example: 1.2 }],
  },
  // max(0, x) + min(0, α(e^{x/α} − 1)).
  celu: {
    code: 14,
    wgsl: 'select(ACT_A * (exp(min(x, 0.0) / ACT_A) - 1.0), x, x > 0.0)',
    cpu: (x, a) => (x > 0 ? x : a * Math.expm1(x / a)),
    grad: { from: 'x', wgsl: 'select(exp(min(x, 0.0) / ACT_A), 1.0, x > 0.0)', cpu: (x, a) => (x > 0 ? 1 : Math.exp(x / a)) },
    args: [{ name: 'alpha', default: 1, example: 0.8 }],
    check: (a) => (a !== 0 ? undefined : 'celu needs alpha != 0'),
  },
  softplus: {
    code: 15,
    wgsl: 'softplus(x)',
    cpu: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    grad: { from: 'x', wgsl: 'stable_sigmoid(x)', cpu: (x) => 1 / (1 + Math.exp(-x)) },
  },
  softsign: {
    code: 16,
    wgsl: 'x / (1.0 + abs(x))',
    cpu: (x) => x / (1 + Math.abs(x)),
    grad: { from: 'x', wgsl: '1.0 / ((1.0 + abs(x)) * (1.0 + abs(x)))', cpu: (x) => 1 / (1 + Math.abs(x)) ** 2 },
  },
  // x·tanh(softplus(x)); derivative tanh(sp) + x·(1 − tanh²(sp))·sigmoid(x).
  mish: {
    code: 17,
    wgsl: 'x * stable_tanh(softplus(x))',
    cpu: (x) => x * Math.tanh(softplus64(x)),
    grad: {
      from: 'x',
      wgsl: 'mish_grad(x)',
      cpu: (x) => { const t = Math.tanh(softplus64(x)); return t + (x * (1 - t * t)) / (1 + Math.exp(-x)); },
    },
  },
  // x where x > α, else 0.
  thresholdedRelu: {
    code: 18,
    wgsl: 'select(0.0, x, x > ACT_A)',
    cpu: (x, a) => (x > a ? x : 0),
    grad: { from: 'x', wgsl: 'select(0.0, 1.0, x > ACT_A)', cpu: (x, a) => (x > a ? 1 : 0) },
    args: [{ name: 'alpha', default: 1, example: 0.5 }],
  },
  exp: {
    code: 19,
    wgsl: 'exp_ieee(x)',
    cpu: (x) => Math.exp(x),
    grad: { from: 'y', wgsl: 'y', cpu: (y) => y },
  },
  // log(0) = −inf, log(x < 0) = NaN.
  log: {
    code: 20,
    wgsl: 'log_ieee(x)',
    cpu: (x) => Math.log(x),
    grad: { from: 'x', wgsl: 'reciprocal_ieee(x)', cpu: (x) => 1 / x },
    domain: 'positive',
  },
  // sqrt(x < 0) = NaN; the derivative ½/y is +inf at 0.
  sqrt: {
    code: 21,
    wgsl: 'sqrt_ieee(x)',
    cpu: (x) => Math.sqrt(x),
    grad: { from: 'y', wgsl: '0.5 * reciprocal_ieee(y)', cpu: (y) => 0.5 / y },
    domain: 'positive',
  },
  // The derivative at 0 is 0 (sign(x)), as PyTorch's.
  abs: {
    code: 22,
    wgsl: 'abs(x)',
    cpu: (x) => Math.abs(x),
    grad: { from: 'x', wgsl: 'sign(x)', cpu: (x) => Math.sign(x) },
  },
  neg: {
    code: 23,
    wgsl: '-x',
    cpu: (x) => -x,
    grad: { from: 'y', wgsl: '-1.0', cpu: () => -1 },
  },
  // 1/±0 = ±inf.
  reciprocal: {
    code: 24,
    wgsl: 'reciprocal_ieee(x)',
    cpu: (x) => 1 / x,
    grad: { from: 'y', wgsl: '-y * y', cpu: (y) => -y * y },
    domain: 'nonzero',
  },
  floor: {
    code: 25,
    wgsl: 'floor(x)',
    cpu: (x) => Math.floor(x),
    grad: { from: 'y', wgsl: '0.0', cpu: () => 0 },
    stepwise: true,
  },
  ceil: {
    code: 26,
    wgsl: 'ceil(x)',
    cpu: (x) => Math.ceil(x),
    grad: { from: 'y', wgsl: '0.0', cpu: () => 0 },
    stepwise: true,
  },
  // Halves to even, as ONNX's Round and WGSL's round().
  round: {
    code: 27,
    wgsl: 'round(x)',
    cpu: roundHalfEven,
    grad: { from: 'y', wgsl: '0.0', cpu: () => 0 },
    stepwise: true,
  },
  // sign(0) = 0.
  sign: {
    code: 28,
    wgsl: 'sign(x)',
    cpu: (x) => Math.sign(x),
    grad: { from: 'y', wgsl: '0.0', cpu: () => 0 },
    stepwise: true,
  },
  erf: {
    code: 29,
    wgsl: 'erf_f32(x)',
    cpu: (x) => erf(x),
    grad: { from: 'x', wgsl: '1.1283791670955126 * exp(-x * x)', cpu: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) },
  },
  sin: {
    code: 30,
    wgsl: 'sin_precise(x)',
    cpu: (x) => Math.sin(x),
    grad: { from: 'x', wgsl: 'cos_precise(x)', cpu: (x) => Math.cos(x) },
  },
  cos: {
    code: 31,
    wgsl: 'cos_precise(x)',
    cpu: (x) => Math.cos(x),
    grad: { from: 'x', wgsl: '-sin_precise(x)', cpu: (x) => -Math.sin(x) },
  },
  // Logical not of a 0/1 value (ONNX's Not): 1 where x is 0, else 0.
  not: {
    code: 32,
    wgsl: 'select(0.0, 1.0, x == 0.0)',
    cpu: (x) => (x === 0 ? 1 : 0),
    grad: { from: 'y', wgsl: '0.0', cpu: () => 0 },
    stepwise: true,
  },
} as const satisfies Record<string, ActivationDef>;

/** √(2/π), the tanh-approximated GELU's scale. */
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

function softplus64(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Rounds to the nearest integer, halves to the even one (ONNX Round); −0 stays −0. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * erf in float64, the CPU reference (the WGSL `erf_f32` is a float32 fit checked against it):
 * the Maclaurin series below |x| = 2.5 (terms peak near 16 there, so about 1e-15 is kept), and
 * above it erfc's continued fraction e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))), 60
 * levels deep, evaluated from the bottom.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (a < 2.5) {
    let term = x; // (−1)ⁿ x^{2n+1} / n!
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}


type TableName = keyof typeof ACTIVATIONS;

/** An activation resolved to its table row and the values of ACT_A and ACT_B. */
export interface ActivationConfig {
  /** The table's name, or 'none'. */
  readonly name: TableName | 'none';
  /** The `ACT` override constant (0: none). */
  readonly code: number;
  readonly a: number;
  readonly b: number;
}

const NONE: ActivationConfig = { name: 'none', code: 0, a: 0, b: 0 };

/** Names that stand for a row with fixed constants. */
const ALIASES: Readonly<Record<string, { readonly type: TableName; readonly args: readonly number[] }>> = {
  relu6: { type: 'clip', args: [0, 6] },
};

function known(): string {
  const rows = Object.entries(ACTIVATIONS as Record<string, ActivationDef>).map(([name, d]) =>
    d.args ? `{type:'${name}', ${d.args.map((a) => `${a.name}${a.default === undefined ? '' : '?'}`).join(', ')}}` : name,
  );
  return ['none', ...Object.keys(ALIASES), ...rows].join(', ');
}

/** Resolves an activation to its table row and constants; throws naming `op` for an unknown one or bad constants. */
export function normalizeActivation(op: string, act: Activation | undefined): ActivationConfig {
  if (act === undefined || act === 'none') return NONE;
  const type: unknown = typeof act === 'string' ? act : (act as { type?: unknown } | null)?.type;
  if (type === 'gelu' && typeof act === 'object') {
    const approximate = (act as { approximate?: unknown }).approximate;
    if (approximate === 'tanh') return normalizeActivation(op, 'geluTanh');
    if (approximate !== undefined && approximate !== 'none') {
      throw new InvalidArgumentError(op, `gelu approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    }
  }
  const alias = typeof type === 'string' ? ALIASES[type] : undefined;
  const name = alias?.type ?? type;
  if (typeof name !== 'string' || !Object.hasOwn(ACTIVATIONS, name)) {
    throw new InvalidArgumentError(op, `unknown activation ${JSON.stringify(act)}; expected one of ${known()}`);
  }
  const def: ActivationDef = ACTIVATIONS[name as TableName];
  const given = typeof act === 'object' ? (act as unknown as Record<string, unknown>) : {};
  const values = (def.args ?? []).map((arg, i) => {
    const v = alias ? alias.args[i] : (given[arg.name] ?? arg.default);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidArgumentError(op, `${name} ${arg.name} must be a finite number${v === undefined ? ' (it has no default)' : `, got ${JSON.stringify(v)}`}`);
    }
    return v;
  });
  const [a = 0, b = 0] = values;
  const wrong = def.check?.(a, b);
  if (wrong) throw new InvalidArgumentError(op, wrong);
  return { name: name as TableName, code: def.code, a, b };
}

/** One example of every activation in the table, with its example constants: what the tests run. */
export function exampleActivations(): Activation[] {
  return Object.entries(ACTIVATIONS as Record<string, ActivationDef>).map(([name, d]) =>
    (d.args ? { type: name, ...Object.fromEntries(d.args.map((a) => [a.name, a.example])) } : name) as Activation,
  );
}

/** Whether `act` does something (not undefined or 'none'). */
export function isActivation(act: Activation | undefined): act is Activation {
  return act !== undefined && act !== 'none';
}

/** Which value the activation's gradient is computed from: its output when that suffices. */
export function activationGradFrom(act: ActivationConfig): 'x' | 'y' {
  return act.name === 'none' ? 'y' : ACTIVATIONS[act.name].grad.from;
}

/**
 * The activation applied to one value, in float64: the CPU reference. A NaN input gives NaN
 * for every activation (relu's `x > 0 ? x : 0` alone would give 0), as `keep_nan` makes the WGSL.
 */
export function applyActivation(x: number, act: ActivationConfig): number {
  if (act.name === 'none' || Number.isNaN(x)) return x;
  return ACTIVATIONS[act.name].cpu(x, act.a, act.b);
}

/** The activation's derivative from `v`, its input or output as `activationGradFrom` says. */
export function activationGrad(v: number, act: ActivationConfig): number {
  return act.name === 'none' ? 1 : ACTIVATIONS[act.name].grad.cpu(v, act.a, act.b);
}

/** Override constants of the activation prelude for a pipeline (none when the activation is none). */
export function activationOverrides(act: ActivationConfig): Record<string, number> {
  return act.code === 0 ? {} : { ACT: act.code, ACT_A: act.a, ACT_B: act.b };
}

/**
 * WGSL `case` arms of `activate(x)`, one per table row; each returns a NaN input unchanged
 * (`keep_nan` tests its bits, which WGSL's no-NaN assumption cannot remove).
 */
export function activationWgslCases(): string {
  return Object.values(ACTIVATIONS)
    .map((d: ActivationDef) => `    case ${d.code}u: { return keep_nan(x, ${d.wgsl}); }`)
    .join('\n');
}

/** WGSL `case` arms of `activation_grad(v)`: f'(x) from v, bound to `x` or `y` as each row needs. */
export function activationGradWgslCases(): string {
  return Object.values(ACTIVATIONS)
    .map((d: ActivationDef) => `    case ${d.code}u: { let ${d.grad.from} = v; return ${d.grad.wgsl}; }`)
    .join('\n');
}

/** activationBackward: the saved value (x or y) and dy have one shape; returns the normalized activation. */
export function inferActivationBackward(v: Shape, dy: Shape, act: Activation): ActivationConfig {
  const cfg = normalizeActivation('activationBackward', act);
  if (!shapesEqual(v, dy)) {
    throw new ShapeError('activationBackward', `dy has shape ${fmtShape(dy)} but ${activationGradFrom(cfg)} has ${fmtShape(v)} (they must match)`);
  }
  return cfg;
}

/** An activation applied elementwise, as a layer of its own. */
export interface ActivationLayer {
  type: 'activation';
  activation: Activation;
}

export const activationOp = defineOp<ActivationLayer>({
  type: 'activation',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => b.activation(x, layer.activation),
  backward(b, { layer, inputs: [x], output, dy, needInput }) {
    if (!needInput[0]) return {};
    const from = activationGradFrom(normalizeActivation('activation', layer.activation));
    return { inputs: [b.activationBackward(from === 'x' ? x : output, dy, layer.activation)] };
  },
  flops: (_layer, _inputs, output) => 2 * sizeOf(output),
});
