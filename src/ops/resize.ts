/**
 * resize: nearest, linear and cubic resampling of the trailing axes (upsampling in U-Nets,
 * FPNs, super-resolution and style transfer), with ONNX's coordinate transformations and
 * rounding modes, and its gradient. Each resized axis becomes a sparse map (src/ops/resample.ts)
 * whose rows hold the taps of one output coordinate: one for nearest, two for linear, four for
 * cubic, none outside tf_crop_and_resize's box. The taps follow ONNX's reference
 * (onnx/backend/test/case/node/resize.py): the transformed coordinate, its neighbours with the
 * edge repeated, and the interpolation weights.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Shape } from '../shape.js';
import { defineOp } from './op.js';
import { type AxisMap, type ResampleAttrs, RESAMPLE, axisMap, checkMappedAxis, resampleAdjoint, trimIdentity } from './resample.js';

export type ResizeMode = 'nearest' | 'linear' | 'cubic';
/** ONNX's coordinate_transformation_mode: how an output coordinate maps to an input coordinate. */
export type CoordinateTransform = 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn' | 'tf_crop_and_resize';
/** ONNX's nearest_mode: how nearest rounds a fractional input coordinate. */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

const MODES: readonly ResizeMode[] = ['nearest', 'linear', 'cubic'];
export const COORDINATE_TRANSFORMS: readonly CoordinateTransform[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
export const NEAREST_MODES: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/**
 * Resizes the last k axes (k = the length of `sizes` or `scales`; an NCHW image: k = 2).
 * With `scales` the output size is ⌊in·scale⌋ and the coordinate transform divides by the
 * scale; with `sizes` the scale is size / in; with both, `sizes` are the output and `scales`
 * the transform's (PyTorch's scale_factor without recompute_scale_factor).
 */
export interface ResizeLayer {
  type: 'resize';
  sizes?: readonly number[];
  scales?: readonly number[];
  /** Default 'nearest'. 'linear' is bilinear on two axes. */
  mode?: ResizeMode;
  /** Default 'half_pixel'. */
  coordinateTransform?: CoordinateTransform;
  /** Default 'round_prefer_floor'. */
  nearestMode?: NearestMode;
  /** The cubic kernel's a (default -0.75; PyTorch's bicubic and OpenCV's; -0.5 is Keys's / TensorFlow's). */
  cubicCoeffA?: number;
  /** Cubic and linear: taps outside the input get weight 0 and the others are renormalised (default false). */
  excludeOutside?: boolean;
  /** tf_crop_and_resize's box per resized axis, ONNX's layout [start…, end…] in normalised coordinates. */
  roi?: readonly number[];
  /** tf_crop_and_resize's value outside the box (default 0). */
  extrapolationValue?: number;
}

function fail(detail: string, name: string): never {
  throw new InvalidArgumentError('resize', detail, name);
}

/** The taps of one output coordinate: (input coordinate, weight). */
type Taps = [number, number][];

function cubicWeight(t: number, a: number): number {
  const s = Math.abs(t);
  if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
  if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  return 0;
}

function nearestIndex(x: number, mode: NearestMode): number {
  if (Number.isInteger(x)) return x;
  switch (mode) {
    case 'round_prefer_floor': return Math.ceil(x - 0.5);
    case 'round_prefer_ceil': return Math.floor(x + 0.5);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
  }
}

interface AxisSpec {
  inSize: number;
  outSize: number;
  scale: number;
  /** The output length the transform uses: the scale times the input size (ONNX's reference). */
  outLength: number;
  roi: [number, number];
}

/** The map of one resized axis. */
function resizeAxis(layer: ResizeLayer, a: AxisSpec): AxisMap {
  const transform = layer.coordinateTransform ?? 'half_pixel';
  const mode = layer.mode ?? 'nearest';
  const { inSize, outLength, scale } = a;
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  const rows: Taps[] = [];
  for (let o = 0; o < a.outSize; o++) {
    let x: number;
    switch (transform) {
      case 'half_pixel': x = (o + 0.5) / scale - 0.5; break;
      case 'half_pixel_symmetric': {
        const offset = (inSize / 2) * (1 - a.outSize / outLength);
        x = offset + (o + 0.5) / scale - 0.5;
        break;
      }
      case 'pytorch_half_pixel': x = outLength === 1 ? -0.5 : (o + 0.5) / scale - 0.5; break;
      case 'align_corners': x = outLength === 1 ? 0 : (o * (inSize - 1)) / (outLength - 1); break;
      case 'asymmetric': x = o / scale; break;
      case 'tf_half_pixel_for_nn': x = (o + 0.5) / scale; break;
      case 'tf_crop_and_resize': {
        const [start, end] = a.roi;
        x = (outLength === 1 ? ((end - start) * (inSize - 1)) / 2 : (o * (end - start) * (inSize - 1)) / (outLength - 1)) + start * (inSize - 1);
        if (x < 0 || x > inSize - 1) {
          rows.push([]);
          continue;
        }
        break;
      }
    }
    let taps: Taps;
    if (mode === 'nearest') {
      taps = [[nearestIndex(x, layer.nearestMode ?? 'round_prefer_floor'), 1]];
    } else {
      const i0 = Math.floor(x);
      const r = x - i0;
      const A = layer.cubicCoeffA ?? -0.75;
      taps = mode === 'linear'
        ? [[i0, 1 - r], [i0 + 1, r]]
        : [[i0 - 1, cubicWeight(r + 1, A)], [i0, cubicWeight(r, A)], [i0 + 1, cubicWeight(1 - r, A)], [i0 + 2, cubicWeight(2 - r, A)]];
      if (layer.excludeOutside) {
        for (const t of taps) if (t[0] < 0 || t[0] >= inSize) t[1] = 0;
        const sum = taps.reduce((s, t) => s + t[1], 0);
        for (const t of taps) t[1] /= sum;
      }
      const kept = taps.filter((t) => t[1] !== 0);
      if (kept.length > 0) taps = kept;
    }
    rows.push(taps.map(([i, w]) => [clamp(i), w]));
  }
  return axisMap(inSize, rows);
}

/** Checks a resize layer and the rank it needs. */
function checkLayer(layer: ResizeLayer, rank: number, name: string): number {
  const k = layer.sizes?.length ?? layer.scales?.length;
  if (k === undefined) fail('needs sizes or scales', name);
  if (layer.sizes && layer.scales && layer.sizes.length !== layer.scales.length) fail(`sizes ${JSON.stringify(layer.sizes)} and scales ${JSON.stringify(layer.scales)} differ in length`, name);
  if (k < 1 || k > rank) throw new ShapeError('resize', `resizes the last ${k} axes, but the input has rank ${rank}`, name);
  if (layer.sizes?.some((s) => !Number.isInteger(s) || s < 1)) fail(`sizes must be positive integers, got ${JSON.stringify(layer.sizes)}`, name);
  if (layer.scales?.some((s) => !Number.isFinite(s) || s <= 0)) fail(`scales must be positive, got ${JSON.stringify(layer.scales)}`, name);
  if (!MODES.includes(layer.mode ?? 'nearest')) fail(`mode ${JSON.stringify(layer.mode)} is not one of ${MODES.join(', ')}`, name);
  const t = layer.coordinateTransform ?? 'half_pixel';
  if (!COORDINATE_TRANSFORMS.includes(t)) fail(`coordinateTransform ${JSON.stringify(t)} is not one of ${COORDINATE_TRANSFORMS.join(', ')}`, name);
  if (!NEAREST_MODES.includes(layer.nearestMode ?? 'round_prefer_floor')) fail(`nearestMode ${JSON.stringify(layer.nearestMode)} is not one of ${NEAREST_MODES.join(', ')}`, name);
  if (t === 'tf_crop_and_resize' && layer.roi?.length !== 2 * k) fail(`tf_crop_and_resize needs roi with ${2 * k} values ([start…, end…] of the ${k} resized axes), got ${JSON.stringify(layer.roi)}`, name);
  return k;
}

/** The resample that performs a resize on an input of this shape, or null when it is the identity. */
export function resizeAttrs(x: Shape, layer: ResizeLayer, name: string): ResampleAttrs | null {
  const k = checkLayer(layer, x.length, name);
  const axis = x.length - k;
  const maps: AxisMap[] = [];
  for (let d = 0; d < k; d++) {
    const inSize = x[axis + d];
    const given = layer.scales?.[d];
    const outSize = layer.sizes?.[d] ?? Math.floor(inSize * given!);
    if (outSize < 1) throw new ShapeError('resize', `axis ${axis + d} of size ${inSize} scaled by ${given} has no output (input [${x.join(', ')}])`, name);
    if (inSize < 1) throw new ShapeError('resize', `axis ${axis + d} of the input [${x.join(', ')}] is empty`, name);
    checkMappedAxis('resize', axis + d, Math.max(inSize, outSize), name);
    const scale = given ?? outSize / inSize;
    const roi: [number, number] = layer.roi ? [layer.roi[d], layer.roi[k + d]] : [0, 1];
    maps.push(resizeAxis(layer, { inSize, outSize, scale, outLength: layer.sizes && !given ? outSize : inSize * scale, roi }));
  }
  return trimIdentity(axis, maps, layer.extrapolationValue ?? 0);
}

export const resizeOp = defineOp<ResizeLayer>({
  type: 'resize',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => {
    const attrs = resizeAttrs(x.shape, layer, name);
    return attrs ? b.prim(RESAMPLE, [x], attrs) : b.reshape(x, x.shape);
  },
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => {
    if (!needInput[0]) return { inputs: [undefined] };
    const attrs = resizeAttrs(x.shape, layer, name);
    return { inputs: [attrs ? b.prim(RESAMPLE, [dy], resampleAdjoint(attrs)) : b.reshape(dy, dy.shape)] };
  },
  // A multiply-add per tap (nearest copies).
  flops: (layer, _inputs, output) => {
    const perAxis = { nearest: 0, linear: 2, cubic: 4 }[layer.mode ?? 'nearest'];
    return 2 * output.reduce((a, d) => a * d, 1) * perAxis ** (layer.sizes?.length ?? layer.scales?.length ?? 0);
  },
});
