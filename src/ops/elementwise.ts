/**
 * Elementwise and pure shape ops: shape inference shared by the CPU reference and WebGPU, and
 * the layers add, mul, binaryConst, reshape, flatten and dropout.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Activation, isActivation } from './activation.js';
import { defineOp, param, reduceTo } from './op.js';
import { binary } from './binary.js';
import { type Shape, fmtShape, sizeOf, broadcastShapes, normalizeAxis } from '../shape.js';

export type BinaryOp = 'add' | 'mul';

/** Row-major strides of `s` aligned to an output of rank `rank` (NumPy broadcasting), 0 on broadcast dimensions. */
export function broadcastStrides(s: Shape, rank: number): number[] {
  const st = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    const axis = rank - s.length + i;
    st[axis] = s[i] === 1 ? 0 : acc;
    acc *= s[i];
  }
  return st;
}

/** Output shape of a broadcasting binary op (named `op` in errors), and per-input strides (0 on broadcast dimensions), aligned to the output rank. */
export function inferBinary(op: string, a: Shape, b: Shape): { outShape: number[]; aStrides: number[]; bStrides: number[] } {
  const outShape = broadcastShapes(op, a, b);
  return { outShape, aStrides: broadcastStrides(a, outShape.length), bStrides: broadcastStrides(b, outShape.length) };
}

/** Resolves a reshape target (one -1 allowed) and checks the element count is kept. */
export function reshapeShape(from: Shape, to: Shape): number[] {
  const minus = to.filter((d) => d === -1).length;
  if (minus > 1 || to.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError('reshape', `invalid target shape ${fmtShape(to)} (dimensions must be integers >= 0, at most one -1)`);
  }
  const total = sizeOf(from);
  const known = to.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = to.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (!out.every(Number.isInteger) || sizeOf(out) !== total) {
    throw new ShapeError('reshape', `cannot reshape ${fmtShape(from)} (${total} values) to ${fmtShape(to)}`);
  }
  return out;
}

/** (d0, …, d_{axis-1}, d_axis·…·d_last). */
export function flattenShape(from: Shape, axis = 1): number[] {
  const a = axis === from.length ? axis : normalizeAxis('flatten', axis, from.length);
  return [...from.slice(0, a), sizeOf(from.slice(a))];
}

export function checkDropoutRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError('dropout', `rate must be in [0, 1), got ${rate}`);
}

// ---------------------------------------------------------------------------------------------
// Layers

/** Elementwise sum of two or more inputs (residual connections), NumPy broadcasting, optionally activated. */
export interface AddLayer {
  type: 'add';
  activation?: Activation;
}

export const addOp = defineOp<AddLayer>({
  type: 'add',
  inputs: [2, Infinity],
  // The activation is applied by the last add's kernel at its store: a residual add and its
  // ReLU are one dispatch.
  forward(b, { layer, inputs }) {
    const last = inputs.length - 1;
    let acc = inputs[0];
    for (let i = 1; i <= last; i++) {
      const next = i === last && isActivation(layer.activation) ? binary(b, 'add', acc, inputs[i], layer.activation) : b.add(acc, inputs[i]);
      if (i > 1) acc.dispose();
      acc = next;
    }
    return acc;
  },
  backward: (b, { inputs, dy, needInput }) => ({ inputs: inputs.map((x, i) => (needInput[i] ? reduceTo(b, dy, x.shape) : undefined)) }),
  flops: (_layer, inputs, output) => sizeOf(output) * (inputs.length - 1),
  fusesActivation: true,
});

/** Elementwise product of two inputs, NumPy broadcasting. */
export interface MulLayer {
  type: 'mul';
}

export const mulOp = defineOp<MulLayer>({
  type: 'mul',
  inputs: 2,
  forward: (b, { inputs: [x, y] }) => b.mul(x, y),
  backward: (b, { inputs: [x, y], dy, needInput }) => ({
    inputs: [needInput[0] ? reduceTo(b, b.mul(dy, y), x.shape) : undefined, needInput[1] ? reduceTo(b, b.mul(dy, x), y.shape) : undefined],
  }),
  flops: (_layer, _inputs, output) => sizeOf(output),
});

/**
 * The input combined elementwise with a constant parameter `value` of `shape` (NumPy
 * broadcasting against the input): ONNX's Add/Mul with an initializer operand.
 */
export interface BinaryConstLayer {
  type: 'binaryConst';
  op: 'add' | 'mul';
  shape: readonly number[];
}

export const binaryConstOp = defineOp<BinaryConstLayer>({
  type: 'binaryConst',
  inputs: 1,
  params: (layer) => [param('value', [...layer.shape], { kind: 'constant', value: layer.op === 'mul' ? 1 : 0 })],
  forward: (b, { layer, inputs: [x], params: [v] }) => (layer.op === 'add' ? b.add(x, v) : b.mul(x, v)),
  backward(b, { layer, inputs: [x], params: [v], dy, needInput }) {
    if (layer.op === 'add') return { inputs: [needInput[0] ? reduceTo(b, dy, x.shape) : undefined], params: [reduceTo(b, dy, v.shape)] };
    return { inputs: [needInput[0] ? reduceTo(b, b.mul(dy, v), x.shape) : undefined], params: [reduceTo(b, b.mul(dy, x), v.shape)] };
  },
  flops: (_layer, _inputs, output) => sizeOf(output),
});

/**
 * Same data, a new whole shape: 0 keeps the input's size at that axis and one dimension may be
 * -1 (inferred), as ONNX's Reshape: `[0, -1]` flattens each sample of a batch.
 */
export interface ReshapeLayer {
  type: 'reshape';
  shape: readonly number[];
}

/** A reshape target with its 0s replaced by the input's sizes at those axes. */
export function reshapeTarget(from: Shape, to: readonly number[]): number[] {
  return to.map((d, i) => {
    if (d !== 0) return d;
    if (i >= from.length) throw new ShapeError('reshape', `target ${fmtShape(to)} copies axis ${i} (0), which input ${fmtShape(from)} does not have`);
    return from[i];
  });
}

export const reshapeOp = defineOp<ReshapeLayer>({
  type: 'reshape',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => b.reshape(x, reshapeTarget(x.shape, layer.shape)),
  backward: (b, { inputs: [x], dy }) => ({ inputs: [b.reshape(dy, x.shape)] }),
  flops: () => 0,
});

/** The dimensions from `axis` on (default 1) become one: (N, C, H, W) → (N, C·H·W). */
export interface FlattenLayer {
  type: 'flatten';
  axis?: number;
}

export const flattenOp = defineOp<FlattenLayer>({
  type: 'flatten',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => b.flatten(x, layer.axis ?? 1),
  backward: (b, { inputs: [x], dy }) => ({ inputs: [b.reshape(dy, x.shape)] }),
  flops: () => 0,
});

/** Inverted dropout while training (a fresh seeded mask each step); the identity at inference. */
export interface DropoutLayer {
  type: 'dropout';
  rate: number;
}

export const dropoutOp = defineOp<DropoutLayer>({
  type: 'dropout',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => b.dropout(x, layer.rate),
  train(b, { layer, inputs: [x], seed }) {
    const r = b.dropoutTrain(x, layer.rate, seed);
    return { y: r.y, saved: { mask: r.mask } };
  },
  backward: (b, { saved, dy, needInput }) => ({ inputs: [needInput[0] ? b.mul(dy, saved.mask) : undefined] }),
  flops: () => 0,
  identityAtInference: true,
});
