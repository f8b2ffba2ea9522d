/**
 * Matrix products (matmul, dense), LeNet-5's RBF output layer and softmax: parameters and
 * pure shape inference shared by the CPU reference and the WebGPU kernels, run before any
 * GPU work. Every error names the op, the layer (when given) and the shapes.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, broadcastShapes, fmtShape, shapesEqual, sizeOf } from '../shape.js';
import type { Backend } from '../backends/backend.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Tensor } from '../tensor.js';
import { STRIDED_VIEW } from './strided_view.js';
import { type ActivationConfig, normalizeActivation } from './activation.js';
import type { Activation } from './params.js';

export type { MatmulParams } from './params.js';
import { defineOp, fanInInit, param, reduceTo } from './op.js';
import { definePrimitive } from './primitive.js';
import { BINARY } from './binary.js';


/** Everything a matmul kernel needs, resolved from the operand shapes and the params. */
export interface MatmulGeometry {
  /** Output rows, inner (reduced) length, output columns. */
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** Number of output matrices (1 when both operands are rank 2). */
  readonly batch: number;
  /** Elements between consecutive batch matrices of a and b; 0 where that side is broadcast. */
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly hasBias: boolean;
  readonly act: ActivationConfig;
  /** (M, N), or (B, M, N) when either operand is rank 3. */
  readonly outShape: number[];
}

/** The shape-only part of MatmulParams (the bias is given by its shape). */
export interface MatmulShapeParams {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: Activation;
  name?: string;
}

function checkFlag(op: string, what: string, v: unknown, layer?: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(op, `${what} must be a boolean, got ${JSON.stringify(v)}`, layer);
  return v;
}

/**
 * Shape inference of `matmul` (also used by `dense` and `rbf` with their own op name).
 * a (M, K) or (B, M, K) — (…, K, M) with transposeA; b (K, N) or (B, K, N) — (…, N, K) with
 * transposeB. Batch dims are equal, or one side is rank 2 or has batch 1 and is broadcast.
 */
export function inferMatmul(
  a: Shape,
  b: Shape,
  biasShape: Shape | undefined,
  params: MatmulShapeParams = {},
  op = 'matmul',
): MatmulGeometry {
  const layer = params.name;
  const transposeA = checkFlag(op, 'transposeA', params.transposeA, layer);
  const transposeB = checkFlag(op, 'transposeB', params.transposeB, layer);
  for (const [what, s] of [['a', a], ['b', b]] as const) {
    if (s.length !== 2 && s.length !== 3) {
      throw new ShapeError(op, `${what} must have rank 2 (rows, cols) or 3 (batch, rows, cols), got ${fmtShape(s)}`, layer);
    }
  }
  const ar = a.length;
  const br = b.length;
  const M = transposeA ? a[ar - 1] : a[ar - 2];
  const Ka = transposeA ? a[ar - 2] : a[ar - 1];
  const Kb = transposeB ? b[br - 1] : b[br - 2];
  const N = transposeB ? b[br - 2] : b[br - 1];
  if (Ka !== Kb) {
    const ta = transposeA ? ' (transposed)' : '';
    const tb = transposeB ? ' (transposed)' : '';
    throw new ShapeError(op, `inner dimensions differ: a ${fmtShape(a)}${ta} has K=${Ka}, b ${fmtShape(b)}${tb} has K=${Kb}`, layer);
  }
  const Ba = ar === 3 ? a[0] : 1;
  const Bb = br === 3 ? b[0] : 1;
  if (Ba !== Bb && Ba !== 1 && Bb !== 1) {
    throw new ShapeError(op, `batch sizes differ: a ${fmtShape(a)} has ${Ba}, b ${fmtShape(b)} has ${Bb} (they must be equal, or one must be 1 or rank 2)`, layer);
  }
  const batch = Math.max(Ba, Bb);
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== N)) {
    throw new ShapeError(op, `bias has shape ${fmtShape(biasShape)}, expected [${N}] (one value per output column; a ${fmtShape(a)}, b ${fmtShape(b)})`, layer);
  }
  const act = normalizeActivation(op, params.activation);
  return {
    M,
    K: Ka,
    N,
    batch,
    aBatchStride: Ba > 1 ? M * Ka : 0,
    bBatchStride: Bb > 1 ? Ka * N : 0,
    transposeA,
    transposeB,
    hasBias: biasShape !== undefined,
    act,
    outShape: ar === 3 || br === 3 ? [batch, M, N] : [M, N],
  };
}

/** dense: x (N, in), w (out, in) [PyTorch Linear], bias (out) → (N, out), as matmul(x, wᵀ). */
export function inferDense(x: Shape, w: Shape, biasShape: Shape | undefined, activation?: Activation): MatmulGeometry {
  if (x.length !== 2) throw new ShapeError('dense', `input must have rank 2 (batch, features), got ${fmtShape(x)}; flatten it first`);
  if (w.length !== 2) throw new ShapeError('dense', `weights must have rank 2 (out, in), got ${fmtShape(w)}`);
  if (x[1] !== w[1]) {
    throw new ShapeError('dense', `input has ${x[1]} features, weights expect ${w[1]} (input ${fmtShape(x)}, weights ${fmtShape(w)})`);
  }
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== w[0])) {
    throw new ShapeError('dense', `bias has shape ${fmtShape(biasShape)}, expected [${w[0]}] (weights ${fmtShape(w)})`);
  }
  return inferMatmul(x, w, biasShape, { transposeB: true, activation }, 'dense');
}

/** rbf: x (N, F), centers (K, F) → (N, K) squared distances; the matmul geometry of x · centersᵀ. */
export function inferRbf(x: Shape, centers: Shape): MatmulGeometry {
  if (x.length !== 2) throw new ShapeError('rbf', `input must have rank 2 (batch, features), got ${fmtShape(x)}`);
  if (centers.length !== 2) throw new ShapeError('rbf', `centers must have rank 2 (classes, features), got ${fmtShape(centers)}`);
  if (x[1] !== centers[1]) {
    throw new ShapeError('rbf', `input has ${x[1]} features, centers have ${centers[1]} (input ${fmtShape(x)}, centers ${fmtShape(centers)})`);
  }
  return inferMatmul(x, centers, undefined, { transposeB: true }, 'rbf');
}

/** softmax along `axis`: x viewed as (outer, axisLen, inner); the output has x's shape. */
export interface SoftmaxGeometry {
  readonly axis: number;
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
  /** outer · inner: the number of independent rows. */
  readonly rows: number;
}

export function inferSoftmax(x: Shape, axis = -1): SoftmaxGeometry {
  if (x.length === 0) throw new ShapeError('softmax', `input must have rank >= 1, got ${fmtShape(x)}`);
  const rank = x.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError('softmax', `axis ${axis} is out of range for input ${fmtShape(x)} (rank ${rank}: use -${rank}..${rank - 1})`);
  }
  const a = axis < 0 ? axis + rank : axis;
  const outer = sizeOf(x.slice(0, a));
  const inner = sizeOf(x.slice(a + 1));
  return { axis: a, outer, axisLen: x[a], inner, rows: outer * inner };
}

// ---------------------------------------------------------------------------------------------
// Layers

/** Fully connected: x (N, in) · weightᵀ (in, out) + bias, PyTorch's Linear layout. */
export interface DenseLayer {
  type: 'dense';
  units: number;
  useBias?: boolean;
  activation?: Activation;
  init?: 'pytorch' | 'lecun98';
}

export const denseOp = defineOp<DenseLayer>({
  type: 'dense',
  inputs: 1,
  params(layer, [x], name) {
    if (x.length !== 2) throw new ShapeError('dense', `input must be (N, features), got rank ${x.length}: flatten first`, name);
    if (!Number.isInteger(layer.units) || layer.units <= 0) {
      throw new InvalidArgumentError('dense', `units must be a positive integer, got ${layer.units}`, name);
    }
    const init = fanInInit(layer.init, x[1]);
    const out = [param('weight', [layer.units, x[1]], init)];
    if (layer.useBias ?? true) out.push(param('bias', [layer.units], init));
    return out;
  },
  paramInputs: ['weight', 'bias'],
  forward: (b, { layer, inputs: [x], params: [w, bias] }) => b.dense(x, w, bias, layer.activation),
  backward(b, { inputs: [x], params: [w, bias], dy, needInput }) {
    const g = b.denseBackward(x, w, dy, { input: needInput[0], weight: true, bias: bias !== undefined });
    return { inputs: [g.dx], params: [g.dw, g.db] };
  },
  flops: (_layer, [x], output) => 2 * sizeOf(output) * x[1],
  fusesActivation: true,
  // By output units: each block of rows gives a block of output columns.
  splitsParams: () => ['weight'],
});

/** LeNet-5's output: squared Euclidean distance of each row to each class's centre. */
export interface RbfLayer {
  type: 'rbf';
  units: number;
  /** Fixed centres, (units · features) values; default random ±1. */
  centers?: Float32Array;
}

export const rbfOp = defineOp<RbfLayer>({
  type: 'rbf',
  inputs: 1,
  params(layer, [x], name) {
    if (x.length !== 2) throw new ShapeError('rbf', `input must be (N, features), got rank ${x.length}`, name);
    const shape = [layer.units, x[1]];
    if (layer.centers && layer.centers.length !== sizeOf(shape)) {
      throw new ShapeError('rbf', `centers have ${layer.centers.length} values, expected ${layer.units}×${x[1]}`, name);
    }
    return [param('weight', shape, layer.centers ? { kind: 'values', values: layer.centers } : { kind: 'uniform', bound: 1 }, !layer.centers)];
  },
  forward: (b, { inputs: [x], params: [c] }) => b.rbf(x, c),
  backward(b, { inputs: [x], params: [c], dy }) {
    const g = b.rbfBackward(x, c, dy);
    return { inputs: [g.dx], params: [g.dcenters] };
  },
  flops: (_layer, [x], output) => 2 * sizeOf(output) * x[1],
});

/** How a NumPy matmul of two shapes runs as the backend's (batched) matrix product. */
export interface MatmulPlan {
  /** The operands as matrices: a rank-1 operand becomes a row (a) or a column (b). */
  readonly a: number[];
  readonly b: number[];
  /** The broadcast batch dimensions and their product. */
  readonly batch: number[];
  readonly count: number;
  /** The output's whole shape (NumPy: a rank-1 operand's matrix axis dropped). */
  readonly outShape: number[];
}

/**
 * NumPy's matmul of shapes a and b: rank ≥ 1 each; a rank-1 a is a row vector, a rank-1 b a
 * column, both dropped from the output; the dimensions before the last two broadcast.
 */
export function planMatmul(a: Shape, b: Shape, layer?: string): MatmulPlan {
  if (a.length === 0 || b.length === 0) throw new ShapeError('matmul', `operands must have rank >= 1, got ${fmtShape(a)} and ${fmtShape(b)}`, layer);
  const am = a.length === 1 ? [1, a[0]] : [...a];
  const bm = b.length === 1 ? [b[0], 1] : [...b];
  const [M, K] = am.slice(-2);
  const [Kb, N] = bm.slice(-2);
  if (K !== Kb) throw new ShapeError('matmul', `inner dimensions differ: a ${fmtShape(a)} has K=${K}, b ${fmtShape(b)} has K=${Kb}`, layer);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', am.slice(0, -2), bm.slice(0, -2));
  } catch {
    throw new ShapeError('matmul', `batch dimensions of a ${fmtShape(a)} and b ${fmtShape(b)} do not broadcast`, layer);
  }
  const outShape = [...batch, ...(a.length === 1 ? [] : [M]), ...(b.length === 1 ? [] : [N])];
  return { a: am, b: bm, batch, count: sizeOf(batch), outShape };
}

/**
 * An operand as the backend's matmul takes it: (rows, cols) when it has no batch to speak of
 * (the kernel broadcasts it), else (count, rows, cols), broadcast first where its batch is.
 * `matrix` is its shape as stored (rows and cols swapped for a transposed operand).
 */
function asBatched(bk: Backend, x: Tensor, matrix: readonly number[], plan: MatmulPlan): Tensor {
  const m = matrix.slice(-2);
  const own = matrix.slice(0, -2);
  if (sizeOf(own) === 1) return bk.reshape(x, m);
  const padded = [...plan.batch.map(() => 1).slice(own.length), ...own];
  const full = [...plan.batch, ...m];
  const src = bk.reshape(x, [...padded, ...m]);
  const whole = shapesEqual(padded, plan.batch) ? src : bk.prim(STRIDED_VIEW, [src], { shape: full, start: full.map(() => 0), step: full.map(() => 1) });
  return bk.reshape(whole, [plan.count, ...m]);
}

/** Which operands of a product are read with their last two axes swapped (a rank-1 operand has none to swap). */
export interface MatmulTranspose {
  readonly a?: boolean;
  readonly b?: boolean;
}

/** A shape with its last two axes swapped when `t` (and it has two). */
const swapLast = (s: Shape, t: boolean | undefined): number[] => (t && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : [...s]);

/** The plan of a product of operands stored as `a` and `b`, read transposed as `t` says, and their matrices as stored. */
function planStored(a: Shape, b: Shape, t: MatmulTranspose, name?: string): { plan: MatmulPlan; a: number[]; b: number[]; ta: boolean; tb: boolean } {
  const ta = (t.a ?? false) && a.length >= 2;
  const tb = (t.b ?? false) && b.length >= 2;
  const plan = planMatmul(swapLast(a, ta), swapLast(b, tb), name);
  return { plan, a: swapLast(plan.a, ta), b: swapLast(plan.b, tb), ta, tb };
}

/** a · b with NumPy's matmul semantics (any ranks ≥ 1, broadcast batch dimensions); `t` reads an operand with its last two axes swapped, without a copy. */
export function matmulNumpy(bk: Backend, a: Tensor, b: Tensor, name?: string, t: MatmulTranspose = {}): Tensor {
  const p = planStored(a.shape, b.shape, t, name);
  const y = bk.matmul(asBatched(bk, a, p.a, p.plan), asBatched(bk, b, p.b, p.plan), { transposeA: p.ta, transposeB: p.tb, name });
  return bk.reshape(y, p.plan.outShape);
}

/**
 * The gradients of matmulNumpy: with A' and B' the operands as read (transposed or not),
 * dA' = dY·B'ᵀ and dB' = A'ᵀ·dY, transposed back for a transposed operand, summed over the
 * dimensions each operand was broadcast along.
 */
export function matmulNumpyBackward(
  bk: TrainingBackend, a: Tensor, b: Tensor, dy: Tensor, want: readonly [boolean, boolean], name?: string, t: MatmulTranspose = {},
): [Tensor | undefined, Tensor | undefined] {
  const { plan, a: aStored, b: bStored, ta, tb } = planStored(a.shape, b.shape, t, name);
  const M = plan.a[plan.a.length - 2];
  const N = plan.b[plan.b.length - 1];
  const batched = plan.count > 1 || plan.batch.length > 0;
  const g = bk.reshape(dy, batched ? [plan.count, M, N] : [M, N]);
  const a3 = asBatched(bk, a, aStored, plan);
  const b3 = asBatched(bk, b, bStored, plan);
  /** A full-batch gradient (count, r, c) summed down to the operand's own shape. */
  const down = (full: Tensor, matrix: readonly number[], shape: Shape): Tensor => {
    const m = matrix.slice(-2);
    const whole = bk.reshape(full, [...plan.batch, ...m]);
    return bk.reshape(reduceTo(bk, whole, matrix), shape);
  };
  // dA' = dY·B'ᵀ; a transposed A takes its transpose, B'·dYᵀ. Likewise dB' = A'ᵀ·dY, or dYᵀ·A'.
  const dA = () => (ta ? bk.matmul(b3, g, { transposeA: tb, transposeB: true, name }) : bk.matmul(g, b3, { transposeB: !tb, name }));
  const dB = () => (tb ? bk.matmul(g, a3, { transposeA: true, transposeB: ta, name }) : bk.matmul(a3, g, { transposeA: !ta, name }));
  return [want[0] ? down(dA(), aStored, a.shape) : undefined, want[1] ? down(dB(), bStored, b.shape) : undefined];
}

/**
 * Matrix product with NumPy's matmul semantics (ONNX's MatMul): operands of any rank ≥ 1, the
 * dimensions before the last two broadcast. With `weightShape` one operand is the parameter
 * `weight` — the second (input · weight), or the first with `weightFirst` — else the first
 * input times the second.
 */
export interface MatmulLayer {
  type: 'matmul';
  weightShape?: readonly number[];
  weightFirst?: boolean;
  /** Read the product's first (A) or second (B) operand with its last two axes swapped, without a copy (ONNX Gemm's transA/transB, a Transpose folded into a MatMul). */
  transposeA?: boolean;
  transposeB?: boolean;
}

const transposeOf = (layer: MatmulLayer): MatmulTranspose => ({ a: layer.transposeA ?? false, b: layer.transposeB ?? false });

/** The two operands of an application, in product order. */
function operands(layer: MatmulLayer, inputs: readonly Tensor[], params: readonly Tensor[]): [Tensor, Tensor] {
  if (!layer.weightShape) return [inputs[0], inputs[1]];
  return layer.weightFirst ? [params[0], inputs[0]] : [inputs[0], params[0]];
}

export const matmulOp = defineOp<MatmulLayer>({
  type: 'matmul',
  inputs: [1, 2],
  params(layer, inputs, name) {
    const w = layer.weightShape;
    const want = w ? 1 : 2;
    if (inputs.length !== want) throw new ShapeError('matmul', `takes ${want} input${want === 1 ? '' : 's'}${w ? ' with weightShape' : ' without weightShape'}, got ${inputs.length}`, name);
    if (!w) return [];
    // The weight as the product reads it: K is its last axis as the first operand, else its second-to-last.
    const read = swapLast(w, layer.weightFirst ? layer.transposeA : layer.transposeB);
    const fanIn = layer.weightFirst || read.length === 1 ? read[read.length - 1] : read[read.length - 2];
    return [param('weight', [...w], fanInInit('pytorch', fanIn))];
  },
  forward(b, { layer, name, inputs, params }) {
    const [x, y] = operands(layer, inputs, params);
    return matmulNumpy(b, x, y, name, transposeOf(layer));
  },
  backward(b, { layer, name, inputs, params, dy, needInput }) {
    const [x, y] = operands(layer, inputs, params);
    const t = transposeOf(layer);
    if (!layer.weightShape) return { inputs: matmulNumpyBackward(b, x, y, dy, [needInput[0], needInput[1]], name, t) };
    const [dx, dw] = layer.weightFirst ? matmulNumpyBackward(b, x, y, dy, [true, needInput[0]], name, t).reverse() : matmulNumpyBackward(b, x, y, dy, [needInput[0], true], name, t);
    return { inputs: [dx], params: [dw] };
  },
  flops(layer, inputs, output, params) {
    const a = layer.weightFirst && params[0] ? params[0].shape : inputs[0];
    const read = swapLast(a, layer.transposeA);
    return 2 * sizeOf(output) * read[read.length - 1];
  },
});

export interface SoftmaxAttrs {
  readonly axis: number;
}

/** log-softmax along `axis`: (x − max) − log Σ exp(x − max), computed so, not as log(softmax). */
export const LOG_SOFTMAX = definePrimitive<SoftmaxAttrs>({
  name: 'logSoftmax',
  infer([x], { axis }) {
    if (!x) throw new ShapeError('logSoftmax', 'takes one input, got none');
    inferSoftmax(x, axis);
    return x;
  },
});

/** Softmax along `axis` (default the last), or with `log` log-softmax (ONNX's LogSoftmax, PyTorch's log_softmax). */
export interface SoftmaxLayer {
  type: 'softmax';
  /** Axis of the normalisation, any axis of the whole shape (default -1, the last). */
  axis?: number;
  log?: boolean;
}

export const softmaxOp = defineOp<SoftmaxLayer>({
  type: 'softmax',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => (layer.log ? b.prim(LOG_SOFTMAX, [x], { axis: layer.axis ?? -1 }) : b.softmax(x, layer.axis ?? -1)),
  // With s = softmax(x) and Σ along the axis: softmax dx = s·(dy − Σ dy·s); log-softmax dx = dy − s·Σ dy (s = exp(y)).
  backward(b, { layer, inputs: [x], output: y, dy, needInput }) {
    if (!needInput[0]) return {};
    const { axis } = inferSoftmax(x.shape, layer.axis ?? -1);
    const rowShape = x.shape.map((d, k) => (k === axis ? 1 : d));
    if (layer.log) {
      const s = b.activation(y, 'exp');
      return { inputs: [b.prim(BINARY, [dy, b.mul(s, b.sumTo(dy, rowShape))], { op: 'sub' })] };
    }
    const dot = b.sumTo(b.mul(dy, y), rowShape);
    return { inputs: [b.mul(y, b.prim(BINARY, [dy, dot], { op: 'sub' }))] };
  },
  flops: (_layer, _inputs, output) => 2 * sizeOf(output),
});
