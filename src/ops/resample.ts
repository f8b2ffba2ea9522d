/**
 * resample: the primitive behind resize and pad, forward and backward. Both are separable: each
 * output coordinate along a mapped axis reads a few input coordinates of that axis with weights
 * (bilinear: 2, bicubic: 4, nearest and pad: 1, a constant pad's border: none), and an output
 * element is the sum over every combination of its axes' entries of the product of their
 * weights. So one primitive takes, per mapped axis, that sparse map as compressed rows
 * (`AxisMap`, one row per output coordinate), built on the host by pure functions
 * (src/ops/resize.ts, src/ops/pad.ts) that the CPU and the GPU share. The gradient is the same
 * primitive with each map transposed (`transposeMap`): one output per input element gathering
 * what it contributed to, so the GPU backward is deterministic and needs no atomics.
 */
import { ShapeError } from '../errors.js';
import { definePrimitive } from './primitive.js';

/**
 * A sparse linear map along one axis, as compressed rows: output coordinate o reads input
 * coordinates `index[k]` with weights `weight[k]` for k in [offsets[o], offsets[o + 1]).
 */
export interface AxisMap {
  /** Size of the axis in the input. */
  readonly inSize: number;
  /** Output size + 1 row starts; the output size is `offsets.length - 1`. */
  readonly offsets: Uint32Array;
  readonly index: Uint32Array;
  readonly weight: Float32Array;
}

export interface ResampleAttrs {
  /** The first mapped axis; `maps[d]` maps axis `axis + d`; the axes before and after are kept. */
  readonly axis: number;
  readonly maps: readonly AxisMap[];
  /** The value of an output element whose row is empty on some axis (a constant pad's border, tf_crop_and_resize's outside). */
  readonly fill: number;
}

export const outSizeOf = (m: AxisMap): number => m.offsets.length - 1;

export const RESAMPLE = definePrimitive<ResampleAttrs>({
  name: 'resample',
  infer([x], { axis, maps }) {
    if (!x) throw new ShapeError('resample', 'takes one input, got none');
    if (!Number.isInteger(axis) || axis < 0 || axis + maps.length > x.length) {
      throw new ShapeError('resample', `maps ${maps.length} axes from axis ${axis}, but the input has rank ${x.length} ([${x.join(', ')}])`);
    }
    const out = [...x];
    maps.forEach((m, d) => {
      if (m.inSize !== x[axis + d]) throw new ShapeError('resample', `the map of axis ${axis + d} reads ${m.inSize} values, the input has ${x[axis + d]} ([${x.join(', ')}])`);
      out[axis + d] = outSizeOf(m);
    });
    return out;
  },
});

/** Longest mapped axis: the maps are built on the host, one row per coordinate, so an absurd size (a hostile file's) is refused first. */
export const MAX_MAPPED_AXIS = 1 << 24;

/** Throws naming the op and layer when a mapped axis would be longer than MAX_MAPPED_AXIS. */
export function checkMappedAxis(op: string, axis: number, size: number, name: string): void {
  if (size > MAX_MAPPED_AXIS) throw new ShapeError(op, `axis ${axis} would have ${size} values, more than the ${MAX_MAPPED_AXIS} supported`, name);
}

/** Builds an AxisMap from each output coordinate's entries (input coordinate, weight). */
export function axisMap(inSize: number, rows: readonly (readonly (readonly [number, number])[])[]): AxisMap {
  const offsets = new Uint32Array(rows.length + 1);
  rows.forEach((r, o) => (offsets[o + 1] = offsets[o] + r.length));
  const index = new Uint32Array(offsets[rows.length]);
  const weight = new Float32Array(offsets[rows.length]);
  rows.forEach((r, o) => r.forEach(([i, w], k) => ((index[offsets[o] + k] = i), (weight[offsets[o] + k] = w))));
  return { inSize, offsets, index, weight };
}

/** The map's transpose (its adjoint): one row per input coordinate, listing the outputs that read it, in output order. */
export function transposeMap(m: AxisMap): AxisMap {
  const rows: [number, number][][] = Array.from({ length: m.inSize }, () => []);
  for (let o = 0; o < outSizeOf(m); o++) {
    for (let k = m.offsets[o]; k < m.offsets[o + 1]; k++) rows[m.index[k]].push([o, m.weight[k]]);
  }
  return axisMap(outSizeOf(m), rows);
}

/** The gradient of a resample: the same primitive over the transposed maps, with nothing filled (a filled value is constant). */
export function resampleAdjoint(attrs: ResampleAttrs): ResampleAttrs {
  return { axis: attrs.axis, maps: attrs.maps.map(transposeMap), fill: 0 };
}

/** Identity on an axis of this size, for kept axes between mapped ones. */
export function identityMap(size: number): AxisMap {
  return axisMap(size, Array.from({ length: size }, (_, i) => [[i, 1]] as const));
}

/** Trims the leading and trailing identity maps off a resample (they are kept axes), or null when every map is the identity. */
export function trimIdentity(axis: number, maps: readonly AxisMap[], fill: number): ResampleAttrs | null {
  const isIdentity = (m: AxisMap) => m.inSize === outSizeOf(m) && m.index.length === m.inSize && m.index.every((v, i) => v === i && m.offsets[i] === i) && m.weight.every((w) => w === 1);
  let lo = 0;
  let hi = maps.length;
  while (lo < hi && isIdentity(maps[lo])) lo++;
  while (hi > lo && isIdentity(maps[hi - 1])) hi--;
  return lo === hi ? null : { axis: axis + lo, maps: maps.slice(lo, hi), fill };
}
