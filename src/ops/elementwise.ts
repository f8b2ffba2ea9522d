/** Elementwise ops and pure shape ops: shape inference shared by the CPU reference and WebGPU. */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf, broadcastShapes, normalizeAxis } from '../shape.js';

export type BinaryOp = 'add' | 'mul';

/** Output shape of a broadcasting binary op, and per-input strides (0 on broadcast dimensions), aligned to the output rank. */
export function inferBinary(op: BinaryOp, a: Shape, b: Shape): { outShape: number[]; aStrides: number[]; bStrides: number[] } {
  const outShape = broadcastShapes(op, a, b);
  const rank = outShape.length;
  const strides = (s: Shape): number[] => {
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const axis = rank - s.length + i;
      st[axis] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  return { outShape, aStrides: strides(a), bStrides: strides(b) };
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
