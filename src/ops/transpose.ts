/**
 * transpose: the primitive (any permutation of any rank) and the layer, with its gradient (the
 * inverse permutation) and ONNX's Transpose of computed values (constants are folded by the
 * importer). Channel shuffles, NHWC↔NCHW around a layer norm, and detection heads' permutes.
 */
import { ShapeError } from '../errors.js';
import { defineOp } from './op.js';
import { definePrimitive } from './primitive.js';

export interface TransposeAttrs {
  /** Output axis i is input axis perm[i]. */
  readonly perm: readonly number[];
}

/** `perm`, or the reversed axes when it is not given (ONNX's and NumPy's default), checked against a rank. */
export function resolvePerm(rank: number, perm?: readonly number[], layer?: string): number[] {
  const p = perm ? [...perm] : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(p);
  if (p.length !== rank || seen.size !== rank || p.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
    throw new ShapeError('transpose', `perm ${JSON.stringify(perm)} is not a permutation of the ${rank} axes of the input`, layer);
  }
  return p;
}

export const TRANSPOSE = definePrimitive<TransposeAttrs>({
  name: 'transpose',
  infer([x], { perm }) {
    if (!x) throw new ShapeError('transpose', 'takes one input, got none');
    const p = resolvePerm(x.length, perm);
    return p.map((a) => x[a]);
  },
});

/** The permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, i) => (inv[a] = i));
  return inv;
}

/** Permutes the axes of its input: output axis i is input axis `perm[i]` (default: reversed). */
export interface TransposeLayer {
  type: 'transpose';
  perm?: readonly number[];
}

export const transposeOp = defineOp<TransposeLayer>({
  type: 'transpose',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => b.prim(TRANSPOSE, [x], { perm: resolvePerm(x.rank, layer.perm, name) }),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({
    inputs: [needInput[0] ? b.prim(TRANSPOSE, [dy], { perm: inversePerm(resolvePerm(x.rank, layer.perm, name)) }) : undefined],
  }),
  flops: () => 0,
  onnx: {
    Transpose: (a) => {
      const perm = a.ints('perm', null);
      if (perm && perm.length !== a.rank(0)) a.fail(`perm ${JSON.stringify(perm)} does not have one entry per axis of the rank-${a.rank(0)} input`);
      return perm ? { type: 'transpose', perm } : { type: 'transpose' };
    },
  },
});
