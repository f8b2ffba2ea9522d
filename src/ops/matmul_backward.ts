/**
 * Shape inference of the backward of dense and LeNet-5's RBF layer: pure functions shared by the
 * CPU reference (src/backends/cpu/matmul_backward.ts) and the WebGPU kernels
 * (src/backends/webgpu/kernels/matmul_backward.ts), run before any GPU work.
 */
import { ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';

/** x (N, F) against an operand of K rows of F (dense's weights (out, in), RBF's centers (classes, features)). */
export interface RowOperandGeometry {
  readonly n: number;
  readonly f: number;
  readonly k: number;
}

/** Both layers' check: x (N, F), the operand (K, F), and dy of the output's shape (N, K). */
function checkRowOperand(op: string, x: Shape, b: Shape, dy: Shape, what: 'weights' | 'centers'): RowOperandGeometry {
  const [dims, verb] = what === 'weights' ? ['(out, in)', 'expect'] : ['(classes, features)', 'have'];
  if (x.length !== 2) throw new ShapeError(op, `input must have rank 2 (batch, features), got ${fmtShape(x)}`);
  if (b.length !== 2) throw new ShapeError(op, `${what} must have rank 2 ${dims}, got ${fmtShape(b)}`);
  if (x[1] !== b[1]) {
    throw new ShapeError(op, `input has ${x[1]} features, ${what} ${verb} ${b[1]} (input ${fmtShape(x)}, ${what} ${fmtShape(b)})`);
  }
  const expected = [x[0], b[0]];
  if (!shapesEqual(dy, expected)) {
    throw new ShapeError(op, `dy has shape ${fmtShape(dy)}, expected ${fmtShape(expected)} (the output of input ${fmtShape(x)} and ${what} ${fmtShape(b)})`);
  }
  return { n: x[0], f: x[1], k: b[0] };
}

/** denseBackward: x (N, in), w (out, in), dy (N, out); f = in, k = out. */
export function inferDenseBackward(x: Shape, w: Shape, dy: Shape): RowOperandGeometry {
  return checkRowOperand('denseBackward', x, w, dy, 'weights');
}

/** rbfBackward: x (N, F), centers (K, F), dy (N, K). */
export function inferRbfBackward(x: Shape, centers: Shape, dy: Shape): RowOperandGeometry {
  return checkRowOperand('rbfBackward', x, centers, dy, 'centers');
}
