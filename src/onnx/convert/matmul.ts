/**
 * Converters of the matrix products: MatMul (NumPy semantics: any ranks ≥ 1, broadcast batch
 * dimensions) and Gemm (every attribute). A constant operand becomes a layer's weights: a dense
 * layer's for a rank-2 product of a computed A and a constant B, else a matmul's; two computed
 * operands make a matmul of two inputs.
 */
import type { DynValue, NodeContext, Value } from '../context.js';
import { foldTranspose, transpose2d } from '../fold.js';
import { fmtShape } from '../../shape.js';
import type { Converter } from './common.js';

/** An operand of a product: its value as stored, and whether the product reads it with its last two axes swapped. */
interface Operand {
  readonly v: Value;
  readonly t: boolean;
}

/**
 * A computed operand made by a transpose layer that only swaps the last two axes is read from
 * that layer's input with the matmul's transpose flag instead: no copy. (The transpose layer,
 * if nothing else reads it, is dropped at the end of the import.)
 */
function folded(c: NodeContext, v: Value, t = false): Operand {
  if (v.kind !== 'dyn' || v.shape.length < 2) return { v, t };
  const made = c.ctx.nodes.find((n) => n.name === v.ref);
  if (made?.layer.type !== 'transpose' || made.inputs.length !== 1) return { v, t };
  const r = v.shape.length;
  const perm = made.layer.perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (!perm.every((a, i) => a === (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2))) return { v, t };
  const swap = (s: readonly number[]) => [...s.slice(0, -2), s[r - 1], s[r - 2]];
  return { v: { kind: 'dyn', ref: made.inputs[0], shape: swap(v.shape), ...(v.probe ? { probe: swap(v.probe) } : {}) }, t: !t };
}

const flags = (a: Operand, b: Operand) => ({ ...(a.t ? { transposeA: true } : {}), ...(b.t ? { transposeB: true } : {}) });

/** a · b of two values, at least one computed (a constant is never read transposed); `suffix` names the emitted layer. */
function product(c: NodeContext, ao: Operand, bo: Operand, suffix?: string): DynValue {
  const { v: a } = ao;
  const { v: b } = bo;
  if (a.kind === 'dyn' && b.kind === 'dyn') return c.emit({ type: 'matmul', ...flags(ao, bo) }, [a, b], [], suffix);
  if (a.kind === 'dyn' && b.kind === 'const') {
    const w = b.tensor;
    if (a.shape.length === 2 && w.dims.length === 2 && !ao.t) {
      const [K, N] = w.dims;
      if (a.shape[1] !== K) c.fail(`A ${fmtShape(a.shape)} and B ${fmtShape(w.dims)} do not multiply`);
      return c.emit({ type: 'dense', units: N, useBias: false }, [a], [transpose2d(w.data, K, N)], suffix);
    }
    return c.emit({ type: 'matmul', weightShape: w.dims, ...flags(ao, bo) }, [a], [c.floatData(w)], suffix);
  }
  if (a.kind === 'const' && b.kind === 'dyn') return c.emit({ type: 'matmul', weightShape: a.tensor.dims, weightFirst: true, ...flags(ao, bo) }, [b], [c.floatData(a.tensor)], suffix);
  return c.fail('both operands are constants; folding a matrix product is not supported');
}

export const matmul: Converter = (c: NodeContext) => {
  const a = c.input(0);
  const b = c.input(1);
  if (!a || !b) c.fail('needs inputs A and B');
  c.out(0, product(c, folded(c, a), folded(c, b)));
};

/** A (M, K) or, with transpose, (K, M): a constant is transposed now, a computed value read transposed by the product. */
function matrix(c: NodeContext, v: Value, transpose: boolean, what: string): Operand {
  const dims = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  if (dims.length !== 2) c.fail(`${what} must be a matrix, got ${fmtShape(dims)}`);
  if (v.kind === 'dyn') return folded(c, v, transpose);
  return { v: transpose ? { kind: 'const', tensor: foldTranspose(v.tensor, [1, 0], c.where) } : v, t: false };
}

/** Gemm: alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A (likewise B'), C broadcast to (M, N). */
export const gemm: Converter = (c: NodeContext) => {
  const a0 = c.input(0);
  const b0 = c.input(1);
  if (!a0 || !b0) c.fail('needs inputs A and B');
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  const ao = matrix(c, a0, c.int('transA', 0) !== 0, 'A');
  const a = ao.v;
  const C = c.input(2);
  if (a.kind === 'dyn' && !ao.t && b0.kind === 'const') {
    // The common case, a fully connected layer: alpha folds into the weights, a row C into the bias.
    const bT = b0.tensor;
    if (bT.dims.length !== 2) c.fail(`B must be a matrix, got ${fmtShape(bT.dims)}`);
    const transB = c.int('transB', 0) !== 0;
    const K = a.shape[1];
    const [N, Kb] = transB ? [bT.dims[0], bT.dims[1]] : [bT.dims[1], bT.dims[0]];
    if (Kb !== K) c.fail(`A ${fmtShape(a.shape)} and B ${fmtShape(bT.dims)}${transB ? ' (transposed)' : ''} do not multiply`);
    const weight = transB ? Float32Array.from(bT.data, (v) => v * alpha) : transpose2d(bT.data, K, N, alpha);
    const isRow = C?.kind === 'const' && C.tensor.data.length === N && (C.tensor.dims.length === 1 || (C.tensor.dims.length === 2 && C.tensor.dims[0] === 1));
    if (C?.kind === 'const' && (isRow || C.tensor.data.length === 1)) {
      const bias = new Float32Array(N).map((_, i) => beta * C.tensor.data[isRow ? i : 0]);
      return c.out(0, c.emit({ type: 'dense', units: N, useBias: true }, [a], [weight, bias]));
    }
    const y = c.emit({ type: 'dense', units: N, useBias: false }, [a], [weight], C ? 'gemm' : undefined);
    return c.out(0, C ? addC(c, y, C, beta) : y);
  }
  const bo = matrix(c, b0, c.int('transB', 0) !== 0, 'B');
  let y = product(c, ao, bo, alpha !== 1 || C ? 'gemm' : undefined);
  if (alpha !== 1) y = c.emit({ type: 'binaryConst', op: 'mul', shape: [1] }, [y], [Float32Array.of(alpha)], C ? 'alpha' : undefined);
  c.out(0, C ? addC(c, y, C, beta) : y);
};

/** y + beta·C, C broadcasting to y's (M, N) one way. */
function addC(c: NodeContext, y: DynValue, C: Value, beta: number): DynValue {
  let z: DynValue;
  if (C.kind === 'const') {
    z = c.emit({ type: 'binaryConst', op: 'add', shape: C.tensor.dims }, [y], [Float32Array.from(C.tensor.data, (v) => v * beta)]);
  } else {
    const scaled = beta === 1 ? C : c.emit({ type: 'binaryConst', op: 'mul', shape: [1] }, [C], [Float32Array.of(beta)], 'beta');
    z = c.emit({ type: 'add' }, [y, scaled]);
  }
  if (z.shape.length !== 2 || z.shape[0] !== y.shape[0] || z.shape[1] !== y.shape[1]) c.fail(`C broadcasts ${fmtShape(y.shape)} to ${fmtShape(z.shape)}; it must broadcast to A·B's shape`);
  return z;
}
