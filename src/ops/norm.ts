/**
 * Layer, instance and group normalization: one kernel family. x is seen as (outer, groups,
 * rowLen): each of the outer·groups rows (contiguous in x) is normalized by its own mean and
 * biased variance, then scaled and shifted per element by `scale` and `bias`, indexed by the
 * element's position in the (groups · rowLen) block divided by `spatial`:
 *
 * - layerNorm(axis a): outer = x[..a), groups 1, rows cover x[a..], scale per element (spatial 1);
 * - groupNorm(G): axis 1, G groups of C/G channels, scale per channel (spatial = H·W·…);
 * - instanceNorm: groupNorm with G = C.
 *
 * Primitives: `norm` (the forward, one dispatch: statistics computed in the kernel),
 * `normStats` (each row's mean and 1/√(var + ε), for the backward), `normGradInput` and
 * `normGradParams` (the gradients of x and of scale and bias).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../shape.js';
import type { Backend } from '../backends/backend.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Tensor } from '../tensor.js';
import { channelsOf, defineOp, param, type GradArgs, type Grads, type OpArgs } from './op.js';
import { definePrimitive } from './primitive.js';
import { resolveAxes } from './reduce.js';

/** PyTorch's and ONNX's default. */
export const DEFAULT_NORM_EPSILON = 1e-5;

export interface NormAttrs {
  /** The first normalized axis (non-negative): layer norm's axis, 1 for group and instance norm. */
  readonly axis: number;
  /** Groups the axis's channels are split into (1 for layer norm). */
  readonly groups: number;
  /** Scale and bias per channel of `axis` (group, instance norm) instead of per element of x[axis..] (layer norm). */
  readonly perChannel: boolean;
  readonly epsilon: number;
}

/** x seen as (outer, groups, rowLen); scale index = (g·rowLen + j) / spatial. Shared by the CPU twin and the kernels. */
export interface NormGeometry {
  readonly outer: number;
  readonly groups: number;
  /** outer · groups. */
  readonly rows: number;
  readonly rowLen: number;
  /** Consecutive elements of a row that share a scale (H·W·… per channel, 1 per element). */
  readonly spatial: number;
  /** Length of scale and bias. */
  readonly params: number;
}

export function normGeometry(op: string, x: Shape, { axis, groups, perChannel, epsilon }: NormAttrs): NormGeometry {
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.length) throw new ShapeError(op, `axis ${axis} is out of range for input ${fmtShape(x)}`);
  const channels = x[axis];
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new ShapeError(op, `${groups} groups do not divide the ${channels} channels of axis ${axis} (input ${fmtShape(x)})`);
  }
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new InvalidArgumentError(op, `epsilon must be a finite number >= 0, got ${epsilon}`);
  const rest = sizeOf(x.slice(axis + 1));
  const outer = sizeOf(x.slice(0, axis));
  return { outer, groups, rows: outer * groups, rowLen: (channels / groups) * rest, spatial: perChannel ? rest : 1, params: perChannel ? channels : channels * rest };
}

function checkParam(op: string, what: string, x: Shape, t: Shape | undefined, g: NormGeometry): void {
  if (!t || sizeOf(t) !== g.params) throw new ShapeError(op, `${what} must have ${g.params} values for input ${fmtShape(x)}, got ${t ? fmtShape(t) : 'none'}`);
}

/** y = (x − mean) / √(var + ε) · scale + bias, per row. Inputs x, scale, bias. */
export const NORM = definePrimitive<NormAttrs>({
  name: 'norm',
  infer([x, scale, bias], attrs) {
    if (!x) throw new ShapeError('norm', 'takes x, scale and bias');
    const g = normGeometry('norm', x, attrs);
    checkParam('norm', 'scale', x, scale, g);
    checkParam('norm', 'bias', x, bias, g);
    return [...x];
  },
});

export interface NormStatsAttrs extends NormAttrs {
  /** One statistic, (rows), instead of both, (rows, 2). */
  readonly stat?: 'mean' | 'invStd';
}

/** Each row's [mean, 1/√(var + ε)]: (rows, 2), or one of them: (rows). */
export const NORM_STATS = definePrimitive<NormStatsAttrs>({
  name: 'normStats',
  infer([x], attrs) {
    if (!x) throw new ShapeError('normStats', 'takes x');
    const { rows } = normGeometry('normStats', x, attrs);
    return attrs.stat ? [rows] : [rows, 2];
  },
});

function checkGradInputs(op: string, x: Shape | undefined, stats: Shape | undefined, dy: Shape | undefined, attrs: NormAttrs): NormGeometry {
  if (!x || !stats || !dy) throw new ShapeError(op, 'takes x, its statistics and dy');
  const g = normGeometry(op, x, attrs);
  if (!shapesEqual(stats, [g.rows, 2])) throw new ShapeError(op, `statistics must be ${fmtShape([g.rows, 2])}, got ${fmtShape(stats)}`);
  if (!shapesEqual(dy, x)) throw new ShapeError(op, `dy ${fmtShape(dy)} must have x's shape ${fmtShape(x)}`);
  return g;
}

/** dx from x, scale, the statistics and dy: invStd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·scale, per row. */
export const NORM_GRAD_INPUT = definePrimitive<NormAttrs>({
  name: 'normGradInput',
  infer([x, scale, stats, dy], attrs) {
    const g = checkGradInputs('normGradInput', x, stats, dy, attrs);
    checkParam('normGradInput', 'scale', x, scale, g);
    return [...x];
  },
});

/** [Σ dy·x̂, Σ dy] per scale index: (2, params). Inputs x, the statistics, dy. */
export const NORM_GRAD_PARAMS = definePrimitive<NormAttrs>({
  name: 'normGradParams',
  infer([x, stats, dy], attrs) {
    return [2, checkGradInputs('normGradParams', x, stats, dy, attrs).params];
  },
});

// ---------------------------------------------------------------------------------------------
// Layers

/** Layer normalization over the axes from `axis` (default -1: the last) on; weight and bias of x[axis..]'s shape. */
export interface LayerNormLayer {
  type: 'layerNorm';
  axis?: number;
  /** Default 1e-5. */
  epsilon?: number;
}

/** Instance normalization: per sample and channel over the spatial axes; weight and bias per channel. */
export interface InstanceNormLayer {
  type: 'instanceNorm';
  epsilon?: number;
}

/** Group normalization: per sample over `groups` groups of channels and the spatial axes; weight and bias per channel. */
export interface GroupNormLayer {
  type: 'groupNorm';
  groups: number;
  epsilon?: number;
}

type NormLayer = LayerNormLayer | InstanceNormLayer | GroupNormLayer;

function attrsOf(layer: NormLayer, x: Shape, name: string): NormAttrs {
  const epsilon = layer.epsilon ?? DEFAULT_NORM_EPSILON;
  if (layer.type === 'layerNorm') {
    const [axis] = resolveAxes('layerNorm', x.length, [layer.axis ?? -1], name);
    return { axis, groups: 1, perChannel: false, epsilon };
  }
  const channels = channelsOf(layer.type, name, x);
  const groups = layer.type === 'groupNorm' ? layer.groups : channels;
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new ShapeError(layer.type, `groups ${groups} must divide the ${channels} channels (input ${fmtShape(x)})`, name);
  }
  return { axis: 1, groups, perChannel: true, epsilon };
}

function paramShape(layer: NormLayer, x: Shape, name: string): Shape {
  const a = attrsOf(layer, x, name);
  return a.perChannel ? [x[1]] : x.slice(a.axis);
}

const normForward = (b: Backend, { layer, name, inputs: [x], params: [w, bias] }: OpArgs<NormLayer>): Tensor =>
  b.prim(NORM, [x, w, bias], attrsOf(layer, x.shape, name));

function normBackward(b: TrainingBackend, { layer, name, inputs: [x], params: [w], dy, needInput }: GradArgs<NormLayer>): Grads {
  const attrs = attrsOf(layer, x.shape, name);
  const stats = b.prim(NORM_STATS, [x], attrs);
  const dx = needInput[0] ? b.prim(NORM_GRAD_INPUT, [x, w, stats, dy], attrs) : undefined;
  const dp = b.prim(NORM_GRAD_PARAMS, [x, stats, dy], attrs);
  const [dw, db] = [0, 1].map((k) => b.reshape(b.slice(dp, 0, k, 1), w.shape));
  return { inputs: [dx], params: [dw, db] };
}

/**
 * LayerNormalization's optional outputs (ONNX): each row's mean or 1/√(var + ε), of shape
 * x[..axis) followed by ones. Inference only.
 */
export interface LayerNormStatsLayer {
  type: 'layerNormStats';
  stat: 'mean' | 'invStdDev';
  axis?: number;
  epsilon?: number;
}

export const layerNormStatsOp = defineOp<LayerNormStatsLayer>({
  type: 'layerNormStats',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => {
    const attrs = attrsOf({ type: 'layerNorm', axis: layer.axis, epsilon: layer.epsilon }, x.shape, name);
    const t = b.prim(NORM_STATS, [x], { ...attrs, stat: layer.stat === 'mean' ? 'mean' : 'invStd' });
    return b.reshape(t, x.shape.map((d, i) => (i < attrs.axis ? d : 1)));
  },
  flops: (_layer, [x]) => 3 * sizeOf(x),
});

const normDef = <L extends NormLayer>(type: L['type']) =>
  defineOp<L>({
    type,
    inputs: 1,
    params: (layer, [x], name) => {
      const shape = paramShape(layer, x, name);
      return [param('weight', shape, { kind: 'constant', value: 1 }), param('bias', shape, { kind: 'constant', value: 0 })];
    },
    paramInputs: ['weight', 'bias'],
    forward: normForward,
    backward: normBackward,
    flops: (_layer, [x]) => 8 * sizeOf(x),
  });

export const layerNormOp = normDef<LayerNormLayer>('layerNorm');
export const instanceNormOp = normDef<InstanceNormLayer>('instanceNorm');
export const groupNormOp = normDef<GroupNormLayer>('groupNorm');
