/**
 * Converters of the matrix products: Gemm and MatMul. A constant B becomes a dense layer's
 * weights (or a matmul's, when A or B has rank 3); a product of two computed values (B given
 * as a graph input) is a matmul layer.
 */
import type { DynValue, NodeContext } from '../context.js';
import type { ConstTensor } from '../tensor.js';
import { transpose2d } from '../fold.js';
import { fmtShape } from '../../shape.js';
import { type Converter, dimsOf } from './common.js';

export const gemm: Converter = (c: NodeContext) => {
  let a = c.dyn(0, 'A');
  if (a.shape.length !== 2) c.fail(`A must be (M, K), got ${fmtShape(a.shape)}`);
  if (c.int('transA', 0) !== 0) a = c.emit({ type: 'transpose', perm: [1, 0] }, [a], [], 'transA');
  const b = c.operand(1);
  if (!b) c.fail('input B is missing');
  const bDims = dimsOf(b);
  if (bDims.length !== 2) c.fail(`B must be a matrix, got ${fmtShape(bDims)}`);
  const transB = c.int('transB', 0) !== 0;
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  const K = a.shape[1];
  const [N, Kb] = transB ? [bDims[0], bDims[1]] : [bDims[1], bDims[0]];
  if (Kb !== K) c.fail(`A ${fmtShape(a.shape)} and B ${fmtShape(bDims)}${transB ? ' (transposed)' : ''} do not multiply`);
  const cIn = c.operand(2);
  let y: DynValue;
  if (b.kind !== 'dyn') {
    // A constant B is a dense layer's weight (N, K), transposed and scaled at load.
    const weight = transB ? Float32Array.from(b.data, (v) => v * alpha) : transpose2d(b.data, K, N, alpha);
    const bias = cIn && cIn.kind !== 'dyn' ? rowBias(cIn, N, beta) : null;
    if (bias || !cIn) {
      c.out(0, c.emit({ type: 'dense', units: N, useBias: bias !== null }, [a], bias ? [weight, bias] : [weight]));
      return;
    }
    y = c.emit({ type: 'dense', units: N, useBias: false }, [a], [weight], 'gemm');
  } else {
    // A computed B: a matrix product of two computed values, then the scale.
    const bt = transB ? c.emit({ type: 'transpose', perm: [1, 0] }, [b], [], 'transB') : b;
    y = c.emit({ type: 'matmul' }, [a, bt], [], cIn || alpha !== 1 ? 'matmul' : undefined);
    if (alpha !== 1) y = c.emit({ type: 'binaryConst', op: 'mul', shape: [1] }, [y], [Float32Array.of(alpha)], cIn ? 'alpha' : undefined);
  }
  if (!cIn) return c.out(0, y);
  let z: DynValue;
  if (cIn.kind !== 'dyn') z = c.emit({ type: 'binaryConst', op: 'add', shape: cIn.dims }, [y], [Float32Array.from(cIn.data, (v) => v * beta)]);
  else {
    const scaled = beta === 1 ? cIn : c.emit({ type: 'binaryConst', op: 'mul', shape: [1] }, [cIn], [Float32Array.of(beta)], 'beta');
    z = c.emit({ type: 'add' }, [y, scaled]);
  }
  if (z.shape.length !== 2 || z.shape[0] !== y.shape[0] || z.shape[1] !== y.shape[1]) c.fail(`C ${fmtShape(dimsOf(cIn))} does not broadcast to the product ${fmtShape(y.shape)}`);
  c.out(0, z);
};

/** beta·C as a dense layer's bias when C is a row of N values or a single value; else null. */
function rowBias(cT: ConstTensor, N: number, beta: number): Float32Array | null {
  const isRow = cT.data.length === N && (cT.dims.length === 1 || (cT.dims.length === 2 && cT.dims[0] === 1));
  if (!isRow && cT.data.length !== 1) return null;
  return new Float32Array(N).map((_, i) => beta * cT.data[isRow ? i : 0]);
}

export const matmul: Converter = (c: NodeContext) => {
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
