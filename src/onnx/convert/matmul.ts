/**
 * Converters of the matrix products: Gemm and MatMul. A constant B becomes a dense layer's
 * weights (or a matmul's, when A or B has rank 3); MatMul of two computed values is a matmul.
 */
import type { NodeContext } from '../context.js';
import { transpose2d } from '../fold.js';
import { fmtShape } from '../../shape.js';
import type { Converter } from './common.js';

export const gemm: Converter = (c: NodeContext) => {
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
