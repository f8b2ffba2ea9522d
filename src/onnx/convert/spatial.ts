/**
 * Converters of the spatial resampling ops: Resize (opsets 10 to 19) and Upsample (7, 9) become a
 * resize layer, Pad (2 to 19) a pad layer. Their scales, sizes, pads, roi and values must be
 * constants (PyTorch's exporter computes sizes from Shape, which the importer folds). Leading
 * axes they leave alone (batch, channels) are dropped from the layer, so a model imported with
 * one batch size runs any.
 */
import type { NodeContext, DynValue } from '../context.js';
import { intList, normAxis, scalarOf } from '../fold.js';
import type { ConstTensor } from '../tensor.js';
import { type ResizeLayer, type ResizeMode, type CoordinateTransform, type NearestMode, COORDINATE_TRANSFORMS, NEAREST_MODES } from '../../ops/resize.js';
import type { PadMode } from '../../ops/pad.js';
import type { Converter } from './common.js';

type ResizeOptions = Omit<ResizeLayer, 'type' | 'sizes' | 'scales' | 'roi'>;

/** A float constant's values, or null when it is absent or empty (Resize's "not given"). */
function floatsOf(t: ConstTensor | null): number[] | null {
  return t && t.data.length > 0 ? Array.from(t.data) : null;
}

/** Full-rank scales or sizes from values given for `axes` (opset 18); the other axes keep scale 1 and their size. */
function fullRank(values: number[] | null, axes: number[] | null, rank: number, other: (d: number) => number, what: string, c: NodeContext): number[] | null {
  if (!values) return null;
  if (!axes) {
    if (values.length !== rank) c.fail(`${what} has ${values.length} values for a rank-${rank} input`);
    return values;
  }
  if (values.length !== axes.length) c.fail(`${what} has ${values.length} values for ${axes.length} axes`);
  const full = Array.from({ length: rank }, (_, d) => other(d));
  axes.forEach((a, i) => (full[a] = values[i]));
  return full;
}

/**
 * Emits the resize of `x` by full-rank scales and/or sizes, dropping the leading axes it leaves
 * alone (same size, scale 1, whole roi).
 */
function emitResize(c: NodeContext, x: DynValue, scales: number[] | null, sizes: number[] | null, options: ResizeOptions, roi: number[] | null): void {
  const rank = x.shape.length;
  const out = sizes ?? x.shape.map((d, i) => Math.floor(d * scales![i]));
  const untouched = (d: number) => out[d] === x.shape[d] && (!scales || scales[d] === 1) && (!roi || (roi[d] === 0 && roi[rank + d] === 1));
  let first = 0;
  while (first < rank && untouched(first)) first++;
  if (first === rank) return c.out(0, x);
  const layer: ResizeLayer = {
    type: 'resize',
    ...(sizes ? { sizes: sizes.slice(first) } : {}),
    ...(scales ? { scales: scales.slice(first) } : {}),
    ...options,
    ...(roi ? { roi: [...roi.slice(first, rank), ...roi.slice(rank + first)] } : {}),
  };
  c.out(0, c.emit(layer, [x]));
}

function modeOf(c: NodeContext, allowed: readonly string[]): ResizeMode {
  const mode = c.str('mode', 'nearest');
  const m = mode === 'bilinear' ? 'linear' : mode;
  if (!allowed.includes(m)) c.fail(`mode '${mode}' is not one of ${allowed.join(', ')}`);
  return m as ResizeMode;
}

/**
 * Opset-10 Resize and Upsample: asymmetric coordinates, and nearest rounds down when enlarging
 * and up when shrinking (ONNX Runtime's behaviour, which the conformance data follows).
 */
function legacyOptions(c: NodeContext, x: DynValue, scales: number[], mode: ResizeMode): ResizeOptions {
  if (mode !== 'nearest') return { mode, coordinateTransform: 'asymmetric' };
  const moved = scales.filter((s, d) => s !== 1 && x.shape[d] > 1);
  const up = moved.every((s) => s >= 1);
  if (!up && !moved.every((s) => s <= 1)) c.fail(`nearest resizing that enlarges some axes and shrinks others is not supported before opset 11, got scales ${JSON.stringify(scales)}`);
  return { mode, coordinateTransform: 'asymmetric', nearestMode: up ? 'floor' : 'ceil' };
}

export const upsample: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  const scales = c.opset >= 9 ? floatsOf(c.konst(1, 'scales')) : c.floats('scales');
  if (!scales || scales.length !== x.shape.length) c.fail(`scales must have one value per axis of the rank-${x.shape.length} input, got ${JSON.stringify(scales)}`);
  if (scales.some((s) => !(s >= 1))) c.fail(`Upsample scales must be ≥ 1, got ${JSON.stringify(scales)}`);
  emitResize(c, x, scales, null, legacyOptions(c, x, scales, modeOf(c, ['nearest', 'linear'])), null);
};

export const resize: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'X');
  const rank = x.shape.length;
  if (c.opset < 11) {
    const scales = floatsOf(c.konst(1, 'scales'));
    if (!scales || scales.length !== rank) c.fail(`scales must have one value per axis of the rank-${rank} input, got ${JSON.stringify(scales)}`);
    return emitResize(c, x, scales, null, legacyOptions(c, x, scales, modeOf(c, ['nearest', 'linear'])), null);
  }
  if (c.int('antialias', 0) !== 0) c.fail('antialias is not supported');
  const axesAttr = c.ints('axes', null);
  const axes = axesAttr?.map((a) => normAxis(a, rank, c.where)) ?? null;
  const scales = fullRank(floatsOf(c.optConst(2, 'scales')), axes, rank, () => 1, 'scales', c);
  let sizes = fullRank(c.optConst(3, 'sizes') ? intList(c.konst(3, 'sizes'), `${c.where}: sizes`) : null, axes, rank, (d) => x.shape[d], 'sizes', c);
  if (sizes && sizes.length === 0) sizes = null;
  if (!scales === !sizes) c.fail('exactly one of scales and sizes must be given');
  if (scales?.some((s) => !(s > 0))) c.fail(`scales must be positive, got ${JSON.stringify(scales)}`);
  const policy = c.str('keep_aspect_ratio_policy', 'stretch');
  if (sizes && policy !== 'stretch') {
    // The sizes become one scale's for the resized axes, the largest that fits (not_larger) or the smallest that covers (not_smaller).
    const on = axes ?? sizes.map((_, d) => d);
    const ratios = on.map((d) => sizes![d] / x.shape[d]);
    if (policy !== 'not_larger' && policy !== 'not_smaller') c.fail(`keep_aspect_ratio_policy '${policy}' is not one of stretch, not_larger, not_smaller`);
    const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    sizes = x.shape.map((n, d) => (on.includes(d) ? Math.floor(s * n + 0.5) : n));
  }
  const transform = c.str('coordinate_transformation_mode', 'half_pixel') as CoordinateTransform;
  if (!COORDINATE_TRANSFORMS.includes(transform)) c.fail(`coordinate_transformation_mode '${transform}' is not one of ${COORDINATE_TRANSFORMS.join(', ')}`);
  const nearestMode = c.str('nearest_mode', 'round_prefer_floor') as NearestMode;
  if (!NEAREST_MODES.includes(nearestMode)) c.fail(`nearest_mode '${nearestMode}' is not one of ${NEAREST_MODES.join(', ')}`);
  let roi: number[] | null = null;
  if (transform === 'tf_crop_and_resize') {
    const given = floatsOf(c.optConst(1, 'roi'));
    if (!given) c.fail('tf_crop_and_resize needs roi');
    roi = axes ? [...x.shape.map(() => 0), ...x.shape.map(() => 1)] : given;
    if (axes) {
      if (given.length !== 2 * axes.length) c.fail(`roi has ${given.length} values for ${axes.length} axes`);
      axes.forEach((a, i) => ((roi![a] = given[i]), (roi![rank + a] = given[axes.length + i])));
    }
    if (roi.length !== 2 * rank) c.fail(`roi must have ${2 * rank} values ([start…, end…]), got ${roi.length}`);
  }
  const options: ResizeOptions = {
    mode: modeOf(c, ['nearest', 'linear', 'cubic']),
    coordinateTransform: transform,
    nearestMode,
    cubicCoeffA: c.float('cubic_coeff_a', -0.75),
    excludeOutside: c.int('exclude_outside', 0) !== 0,
    extrapolationValue: c.float('extrapolation_value', 0),
  };
  emitResize(c, x, sizes ? null : scales, sizes, options, roi);
};

const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

/** Pad of a computed value: pads (attribute before opset 11, constant input after), a constant value, opset 18's axes; leading unpadded axes dropped. */
export const pad: Converter = (c: NodeContext) => {
  const x = c.dyn(0, 'data');
  const rank = x.shape.length;
  const mode = c.str('mode', 'constant') as PadMode;
  if (!PAD_MODES.includes(mode)) c.fail(`mode '${mode}' is not one of ${PAD_MODES.join(', ')}`);
  let pads: number[] | null;
  let value = 0;
  if (c.opset >= 11) {
    pads = intList(c.konst(1, 'pads'), `${c.where}: pads`);
    const v = c.optConst(2, 'constant_value');
    if (v && v.data.length > 0) value = scalarOf(v, `${c.where}: constant_value`);
    const axesT = c.opset >= 18 ? c.optConst(3, 'axes') : null;
    if (axesT) {
      const axes = intList(axesT, `${c.where}: axes`).map((a) => normAxis(a, rank, c.where));
      if (pads.length !== 2 * axes.length) c.fail(`pads has ${pads.length} values for ${axes.length} axes`);
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => ((full[a] = pads![i]), (full[rank + a] = pads![axes.length + i])));
      pads = full;
    }
  } else {
    pads = c.ints('pads', null);
    value = c.float('value', 0);
  }
  if (!pads || pads.length !== 2 * rank) c.fail(`pads must have ${2 * rank} values for a rank-${rank} input, got ${JSON.stringify(pads)}`);
  let first = 0;
  while (first < rank && pads[first] === 0 && pads[rank + first] === 0) first++;
  if (first === rank) return c.out(0, x);
  const kept = [...pads.slice(first, rank), ...pads.slice(rank + first)];
  c.out(0, c.emit({ type: 'pad', pads: kept, ...(mode !== 'constant' ? { mode } : {}), ...(value !== 0 ? { value } : {}) }, [x]));
};
