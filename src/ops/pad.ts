/**
 * pad: constant, reflect, edge and wrap padding of the trailing axes, with negative pads
 * cropping (ONNX's Pad, PyTorch's ZeroPad2d / ReflectionPad2d / ReplicationPad2d, Keras's
 * ZeroPadding2D), and its gradient. Each padded axis becomes a sparse map
 * (src/ops/resample.ts) whose row for an output coordinate names the input coordinate it
 * copies, or nothing in a constant pad's border (filled with the value). Negative pads crop
 * first; the padding then reflects or repeats the cropped input's edges (ONNX Runtime's order).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Shape } from '../shape.js';
import { defineOp } from './op.js';
import { type AxisMap, type ResampleAttrs, RESAMPLE, axisMap, checkMappedAxis, resampleAdjoint, trimIdentity } from './resample.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';
const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

/**
 * Pads the last k axes, k = pads.length / 2, with ONNX's layout: [begin_0 … begin_{k-1},
 * end_0 … end_{k-1}] (an NCHW image: [top, left, bottom, right]). A negative pad crops.
 */
export interface PadLayer {
  type: 'pad';
  pads: readonly number[];
  /** Default 'constant'. Reflect mirrors without repeating the edge (NumPy's 'reflect'); edge repeats it; wrap is periodic. */
  mode?: PadMode;
  /** The constant mode's value (default 0). */
  value?: number;
}

/** The map of one padded axis: input size n, `begin` and `end` added (negative: removed). */
function padAxis(n: number, begin: number, end: number, mode: PadMode, axis: number, x: Shape, name: string): AxisMap {
  const lo = Math.max(0, -begin);
  const m = n - lo - Math.max(0, -end); // the cropped input's size
  const before = Math.max(0, begin);
  const outSize = m + before + Math.max(0, end);
  if (m < 0 || outSize < 0) throw new ShapeError('pad', `pads ${begin}, ${end} crop more than the ${n} values of axis ${axis} (input [${x.join(', ')}])`, name);
  checkMappedAxis('pad', axis, Math.max(n, outSize), name);
  if (m === 0 && outSize > 0 && mode !== 'constant') throw new ShapeError('pad', `${mode} padding of axis ${axis} needs values to repeat, but it has none after cropping (input [${x.join(', ')}])`, name);
  const rows: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    let j = o - before; // coordinate in the cropped input
    if (j < 0 || j >= m) {
      if (mode === 'constant') {
        rows.push([]);
        continue;
      }
      if (mode === 'edge') j = Math.min(Math.max(j, 0), m - 1);
      else if (mode === 'wrap') j = ((j % m) + m) % m;
      else if (m === 1) j = 0;
      else {
        const period = 2 * (m - 1);
        j = ((j % period) + period) % period;
        if (j >= m) j = period - j;
      }
    }
    rows.push([[lo + j, 1]]);
  }
  return axisMap(n, rows);
}

/** The resample that performs a pad on an input of this shape, or null when it changes nothing. */
export function padAttrs(x: Shape, layer: PadLayer, name: string): ResampleAttrs | null {
  const { pads } = layer;
  const mode = layer.mode ?? 'constant';
  if (!PAD_MODES.includes(mode)) throw new InvalidArgumentError('pad', `mode ${JSON.stringify(mode)} is not one of ${PAD_MODES.join(', ')}`, name);
  if (pads.length % 2 !== 0 || pads.length === 0 || pads.some((p) => !Number.isInteger(p))) {
    throw new InvalidArgumentError('pad', `pads must be an even number of integers ([begin…, end…]), got ${JSON.stringify(pads)}`, name);
  }
  const k = pads.length / 2;
  if (k > x.length) throw new ShapeError('pad', `pads ${JSON.stringify(pads)} cover ${k} axes, but the input has rank ${x.length}`, name);
  if (!Number.isFinite(layer.value ?? 0)) throw new InvalidArgumentError('pad', `value must be finite, got ${layer.value}`, name);
  const axis = x.length - k;
  const maps = Array.from({ length: k }, (_, d) => padAxis(x[axis + d], pads[d], pads[k + d], mode, axis + d, x, name));
  return trimIdentity(axis, maps, layer.value ?? 0);
}

export const padOp = defineOp<PadLayer>({
  type: 'pad',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => {
    const attrs = padAttrs(x.shape, layer, name);
    return attrs ? b.prim(RESAMPLE, [x], attrs) : b.reshape(x, x.shape);
  },
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => {
    if (!needInput[0]) return { inputs: [undefined] };
    const attrs = padAttrs(x.shape, layer, name);
    return { inputs: [attrs ? b.prim(RESAMPLE, [dy], resampleAdjoint(attrs)) : b.reshape(dy, dy.shape)] };
  },
  flops: () => 0,
});
