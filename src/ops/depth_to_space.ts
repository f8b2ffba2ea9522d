/**
 * depthToSpace and spaceToDepth: channels moved into b×b spatial blocks and back (ONNX's
 * DepthToSpace and SpaceToDepth, PyTorch's PixelShuffle and PixelUnshuffle: sub-pixel
 * convolution in super-resolution nets). Each is a reshape to 6-D, one transpose and a reshape
 * back: the reshapes are views, so the op is one transpose dispatch. The gradient is the
 * inverse: the same views and the inverse permutation.
 *
 * The modes say how the channel index splits: DCR (ONNX's default) as (block row, block column,
 * channel), CRD (PyTorch's pixel shuffle) as (channel, block row, block column).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Backend } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import { defineOp, type OnnxAttributes } from './op.js';
import { TRANSPOSE, inversePerm } from './transpose.js';

export type BlockMode = 'DCR' | 'CRD';

/** (N, C, H, W) → (N, C / b², H·b, W·b). */
export interface DepthToSpaceLayer {
  type: 'depthToSpace';
  blockSize: number;
  /** Default 'DCR' (ONNX's); PyTorch's PixelShuffle is 'CRD'. */
  mode?: BlockMode;
}

/** (N, C, H, W) → (N, C·b², H / b, W / b), the inverse of depthToSpace in the same mode. */
export interface SpaceToDepthLayer {
  type: 'spaceToDepth';
  blockSize: number;
  /** Default 'DCR' (ONNX's); PyTorch's PixelUnshuffle is 'CRD'. */
  mode?: BlockMode;
}

/** The depth side (N, C·b², h, w) and the space side (N, C, h·b, w·b) of a block move, as a 6-D view of each and the permutation from depth to space. */
interface BlockMove {
  depth6: Shape;
  space6: Shape;
  /** Transposing depth6 by `perm` gives space6. */
  perm: number[];
}

function blockMove(n: number, c: number, h: number, w: number, b: number, mode: BlockMode): BlockMove {
  return mode === 'DCR'
    ? { depth6: [n, b, b, c, h, w], space6: [n, c, h, b, w, b], perm: [0, 3, 4, 1, 5, 2] }
    : { depth6: [n, c, b, b, h, w], space6: [n, c, h, b, w, b], perm: [0, 1, 4, 2, 5, 3] };
}

function checked(op: string, x: Shape, b: number, mode: BlockMode | undefined, name: string): BlockMode {
  if (x.length !== 4) throw new ShapeError(op, `input must be (N, C, H, W), got [${x.join(', ')}]`, name);
  if (!Number.isInteger(b) || b < 1) throw new InvalidArgumentError(op, `blockSize must be a positive integer, got ${b}`, name);
  const m = mode ?? 'DCR';
  if (m !== 'DCR' && m !== 'CRD') throw new InvalidArgumentError(op, `mode ${JSON.stringify(mode)} is not DCR or CRD`, name);
  return m;
}

function depthMove(x: Shape, b: number, mode: BlockMode | undefined, name: string): BlockMove {
  const m = checked('depthToSpace', x, b, mode, name);
  const [n, c, h, w] = x;
  if (c % (b * b) !== 0) throw new ShapeError('depthToSpace', `${c} channels are not a multiple of blockSize² = ${b * b} (input [${x.join(', ')}])`, name);
  return blockMove(n, c / (b * b), h, w, b, m);
}

function spaceMove(x: Shape, b: number, mode: BlockMode | undefined, name: string): BlockMove {
  const m = checked('spaceToDepth', x, b, mode, name);
  const [n, c, h, w] = x;
  if (h % b !== 0 || w % b !== 0) throw new ShapeError('spaceToDepth', `height ${h} and width ${w} must be multiples of blockSize ${b} (input [${x.join(', ')}])`, name);
  return blockMove(n, c, h / b, w / b, b, m);
}

/** Depth → space: (N, C·b², h, w) → (N, C, h·b, w·b). */
function toSpace(b: Backend, x: Tensor, mv: BlockMove): Tensor {
  const [n, c, h, bh, w, bw] = mv.space6;
  return b.reshape(b.prim(TRANSPOSE, [b.reshape(x, mv.depth6)], { perm: mv.perm }), [n, c, h * bh, w * bw]);
}

/** Space → depth: (N, C, h·b, w·b) → (N, C·b², h, w). */
function toDepth(b: Backend, x: Tensor, mv: BlockMove): Tensor {
  const [n, d1, d2, d3, h, w] = mv.depth6;
  return b.reshape(b.prim(TRANSPOSE, [b.reshape(x, mv.space6)], { perm: inversePerm(mv.perm) }), [n, d1 * d2 * d3, h, w]);
}

const blockAttrs = (a: OnnxAttributes): { blockSize: number } => {
  const blockSize = a.int('blocksize', 0);
  if (blockSize < 1) a.fail(`blocksize must be a positive integer, got ${blockSize}`);
  if (a.rank(0) !== 4) a.fail(`input must be 4-D (N, C, H, W), got rank ${a.rank(0)}`);
  return { blockSize };
};

export const depthToSpaceOp = defineOp<DepthToSpaceLayer>({
  type: 'depthToSpace',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => toSpace(b, x, depthMove(x.shape, layer.blockSize, layer.mode, name)),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({
    inputs: [needInput[0] ? toDepth(b, dy, depthMove(x.shape, layer.blockSize, layer.mode, name)) : undefined],
  }),
  flops: () => 0,
  onnx: {
    DepthToSpace: (a) => {
      const mode = a.str('mode', 'DCR');
      if (mode !== 'DCR' && mode !== 'CRD') return a.fail(`mode '${mode}' is not DCR or CRD`);
      return { type: 'depthToSpace', ...blockAttrs(a), mode };
    },
  },
});

export const spaceToDepthOp = defineOp<SpaceToDepthLayer>({
  type: 'spaceToDepth',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => toDepth(b, x, spaceMove(x.shape, layer.blockSize, layer.mode, name)),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({
    inputs: [needInput[0] ? toSpace(b, dy, spaceMove(x.shape, layer.blockSize, layer.mode, name)) : undefined],
  }),
  flops: () => 0,
  onnx: {
    SpaceToDepth: (a) => ({ type: 'spaceToDepth', ...blockAttrs(a) }),
  },
});
