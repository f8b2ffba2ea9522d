/**
 * Shape inference of the backward of dense and LeNet-5's RBF layer: pure functions shared by the
 * CPU reference (src/backends/cpu/matmul_backward.ts) and the WebGPU kernels
 * (src/backends/webgpu/kernels/matmul_backward.ts), run before any GPU work.
 */
import { ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';

/**
 * Both layers take x (N, F) and an operand (K, F) (dense's weights (out, in), RBF's centers
 * (classes, features)) to an output (N, K), whose gradient dy must have that shape. Returns
 * [N, F, K].
 */
function checkRowOperand(op: string, x: Shape, b: Shape, dy: Shape, what: 'weights' | 'centers'): [number, number, number] {
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
  return [x[0], x[1], b[0]];
}

export interface DenseBackwardGeometry {
  /** Batch, input features, output features. */
  readonly n: number;
  readonly inF: number;
  readonly outF: number;
}

/** denseBackward: x (N, in), w (out, in), dy (N, out). */
export function inferDenseBackward(x: Shape, w: Shape, dy: Shape): DenseBackwardGeometry {
  const [n, inF, outF] = checkRowOperand('denseBackward', x, w, dy, 'weights');
  return { n, inF, outF };
}

export interface RbfBackwardGeometry {
  /** Batch, features, classes (centers). */
  readonly n: number;
  readonly f: number;
  readonly k: number;
}

/** rbfBackward: x (N, F), centers (K, F), dy (N, K). */
export function inferRbfBackward(x: Shape, centers: Shape, dy: Shape): RbfBackwardGeometry {
  const [n, f, k] = checkRowOperand('rbfBackward', x, centers, dy, 'centers');
  return { n, f, k };
}
