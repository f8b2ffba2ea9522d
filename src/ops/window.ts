/**
 * Sliding-window geometry shared by conv2d, pooling and subsampling: stride/dilation pairs,
 * padding forms (explicit, SAME, VALID) and output sizes, validated with errors naming the op.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Padding2d } from './params.js';

export interface Pads {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** A number or [h, w] as [h, w], each a positive integer. */
export function positivePair(op: string, what: string, v: number | readonly [number, number] | undefined, dflt: number, layer?: string): [number, number] {
  const pair: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!pair.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(op, `${what} must be positive integers, got ${JSON.stringify(v)}`, layer);
  }
  return pair;
}

/**
 * Resolves a padding spec to explicit pads. 'same' gives Ho = ceil(H / sH) with the extra
 * pixel at the bottom/right (TF, ONNX SAME_UPPER); 'valid' is no padding.
 */
export function resolvePadding(
  op: string,
  padding: Padding2d | undefined,
  input: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
  layer?: string,
): Pads {
  if (padding === undefined || padding === 'valid') return { top: 0, left: 0, bottom: 0, right: 0 };
  if (padding === 'same') {
    const total = (i: 0 | 1) => {
      const out = Math.ceil(input[i] / stride[i]);
      return Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - input[i]);
    };
    const th = total(0);
    const tw = total(1);
    return { top: Math.floor(th / 2), bottom: th - Math.floor(th / 2), left: Math.floor(tw / 2), right: tw - Math.floor(tw / 2) };
  }
  let pads: Pads;
  if (typeof padding === 'number') pads = { top: padding, left: padding, bottom: padding, right: padding };
  else if (Array.isArray(padding) && padding.length === 2) pads = { top: padding[0], bottom: padding[0], left: padding[1], right: padding[1] };
  else if (Array.isArray(padding) && padding.length === 4) pads = { top: padding[0], left: padding[1], bottom: padding[2], right: padding[3] };
  else throw new InvalidArgumentError(op, `padding must be a number, [h, w], [top, left, bottom, right], 'same' or 'valid', got ${JSON.stringify(padding)}`, layer);
  if (![pads.top, pads.left, pads.bottom, pads.right].every((p) => Number.isInteger(p) && p >= 0)) {
    throw new InvalidArgumentError(op, `padding must be non-negative integers, got ${JSON.stringify(padding)}`, layer);
  }
  return pads;
}

/**
 * Output length of a window sliding over `size` (padding included):
 * floor((size + padBefore + padAfter - effectiveKernel) / stride) + 1, or ceil with `ceilMode`
 * (PyTorch rule: the last window must start inside the input or the left padding).
 * Throws a ShapeError when the window is larger than the padded input.
 */
export function windowOutputSize(
  op: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
  ceilMode: boolean,
  describe: () => string,
  layer?: string,
): number {
  const eff = (kernel - 1) * dilation + 1;
  const span = size + padBefore + padAfter - eff;
  if (span < 0) {
    throw new ShapeError(op, `window ${eff} is larger than the padded input ${size + padBefore + padAfter} (${describe()})`, layer);
  }
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + padBefore) out--;
  return out;
}
