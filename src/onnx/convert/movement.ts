/**
 * Converters of the ops that move values of computed tensors: Slice, Split, Gather,
 * GatherElements, Tile and Expand become slice, gather, gatherElements, tile and expand
 * layers (their starts, splits, repeats and shapes are constants; indices may be computed); on
 * constants Slice, Split, Gather and Expand fold.
 */
import type { NodeContext } from '../context.js';
import type { ConstTensor } from '../tensor.js';
import { foldBinary, foldGather, foldSlice, intList, makeConst, normAxis } from '../fold.js';
import { fmtShape, sizeOf } from '../../shape.js';
import type { Converter } from './common.js';

/** Slice's starts, ends, axes and steps: constant inputs from opset 10, attributes before. */
function sliceArgs(c: NodeContext): { starts: number[]; ends: number[]; axes: number[] | null; steps: number[] | null } {
  const list = (i: number, attr: string) => (c.opset >= 10 ? (c.input(i) ? intList(c.konst(i, attr), `${c.where}: ${attr}`) : null) : c.ints(attr, null));
  const starts = list(1, 'starts');
  const ends = list(2, 'ends');
  if (!starts || !ends) c.fail('starts and ends are required');
  return { starts, ends, axes: list(3, 'axes'), steps: c.opset >= 10 ? list(4, 'steps') : null };
}

export const slice: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input data is missing');
  const { starts, ends, axes, steps } = sliceArgs(c);
  if (v.kind === 'const') return c.out(0, { kind: 'const', tensor: foldSlice(v.tensor, starts, ends, axes, steps, c.where) });
  c.out(0, c.emit({ type: 'slice', starts, ends, ...(axes ? { axes } : {}), ...(steps ? { steps } : {}) }, [v]));
};

/**
 * Split: the sizes from the `split` input (opset 13) or attribute (before), else `num_outputs`
 * (opset 18) parts of ⌈d/n⌉ with a smaller last one, else equal parts, one per output.
 */
export const split: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const dims = v.kind === 'dyn' ? v.shape : v.tensor.dims;
  const axis = normAxis(c.int('axis', 0), dims.length, c.where);
  const d = dims[axis];
  const n = c.node.outputs.length;
  let sizes = c.intsFromInputOrAttr(1, 'split', 13);
  if (!sizes) {
    if (c.opset >= 18) {
      if (!c.has('num_outputs')) c.fail('needs the split input or the num_outputs attribute');
      const parts = c.int('num_outputs', 0);
      if (parts !== n) c.fail(`num_outputs is ${parts} but the node has ${n} outputs`);
      const chunk = Math.ceil(d / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
    } else {
      if (d % n !== 0) c.fail(`axis ${axis} of ${fmtShape(dims)} does not split into ${n} equal parts`);
      sizes = new Array<number>(n).fill(d / n);
    }
  }
  if (sizes.length !== n || sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== d) {
    c.fail(`split ${JSON.stringify(sizes)} must give ${n} sizes >= 0 summing to ${d}, axis ${axis} of ${fmtShape(dims)}`);
  }
  let start = 0;
  sizes.forEach((size, i) => {
    const [starts, ends, axes] = [[start], [start + size], [axis]];
    start += size;
    if (!c.node.outputs[i]) return;
    if (v.kind === 'const') c.out(i, { kind: 'const', tensor: foldSlice(v.tensor, starts, ends, axes, null, c.where) });
    else c.out(i, c.ctx.emit(c.outName(i), { type: 'slice', starts, ends, axes }, [v], [], c.where));
  });
};

/** Gather (numpy.take) or GatherElements (torch.gather) of computed data, with constant or computed (float-coded) indices. */
function gatherLike(type: 'gather' | 'gatherElements'): Converter {
  return (c: NodeContext) => {
    const data = c.input(0);
    const indices = c.input(1);
    if (!data || !indices) c.fail('needs data and indices');
    const axis = c.int('axis', 0);
    if (data.kind === 'const') {
      if (indices.kind !== 'const') c.fail('gathering from a constant with computed indices (an embedding lookup) is not supported');
      if (type === 'gatherElements') c.fail('folding GatherElements on constants is not supported');
      return c.out(0, { kind: 'const', tensor: foldGather(data.tensor, indices.tensor, axis, c.where) });
    }
    if (indices.kind === 'dyn') return c.out(0, c.emit({ type, axis }, [data, indices]));
    const values = intList(indices.tensor, `${c.where}: indices`);
    c.out(0, c.emit({ type, axis, indices: values, indicesShape: [...indices.tensor.dims] }, [data], [Float32Array.from(values)]));
  };
}

/** Gather: constants fold; computed data takes constant or computed indices. */
export const gather = gatherLike('gather');
export const gatherElements = gatherLike('gatherElements');

export const tile: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'input');
  const repeats = intList(c.konst(1, 'repeats'), `${c.where}: repeats`);
  c.out(0, c.emit({ type: 'tile', repeats }, [x]));
};

/** Expand: the input and the constant `shape` broadcast both ways (NumPy's rule). */
export const expand: Converter = (c: NodeContext) => {
  const v = c.input(0);
  if (!v) c.fail('input is missing');
  const shape = intList(c.konst(1, 'shape'), `${c.where}: shape`);
  if (v.kind === 'dyn') return c.out(0, c.emit({ type: 'expand', shape }, [v]));
  const zeros: ConstTensor = makeConst(shape, v.tensor.kind, new Array<number>(sizeOf(shape)).fill(0), c.where);
  c.out(0, { kind: 'const', tensor: foldBinary(v.tensor, zeros, (x) => x, c.where) });
};
