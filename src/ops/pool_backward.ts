/**
 * Shape checks of the pooling family's backward, shared by the CPU reference and the WebGPU
 * kernels: the forward's own inference (./pool.ts) plus "dy has the forward output's shape".
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';
import {
  type Pool2dParams,
  type SubsampleParams,
  type LrnParams,
  type AdaptivePoolParams,
  type Pool2dConfig,
  type AdaptivePoolConfig,
  type SubsampleConfig,
  type LrnConfig,
  inferPool2d,
  inferGlobalPool,
  inferAdaptiveAvgPool,
  inferSubsample,
  inferLrn,
} from './pool.js';

// ---- Shape checks (pure, shared with the GPU path) ------------------------------------------

/** Throws unless `dy` has the forward output's shape. */
function checkDy(op: string, x: Shape, dy: Shape, out: Shape, layer?: string): void {
  if (!shapesEqual(dy, out)) {
    throw new ShapeError(op, `dy has shape ${fmtShape(dy)} but the forward output is ${fmtShape(out)} (input ${fmtShape(x)})`, layer);
  }
}

export function inferPool2dBackward(x: Shape, dy: Shape, params: Pool2dParams): Pool2dConfig {
  const g = inferPool2d(x, params);
  if (g.dilation[0] !== 1 || g.dilation[1] !== 1) throw new InvalidArgumentError('pool2dBackward', `dilation ${fmtShape(g.dilation)} is not supported (dilated pooling runs at inference only)`, params.name);
  checkDy('pool2dBackward', x, dy, g.outShape, params.name);
  return g;
}

export function inferGlobalPoolBackward(x: Shape, dy: Shape, type: 'max' | 'avg'): ReturnType<typeof inferGlobalPool> {
  const g = inferGlobalPool(x, type);
  checkDy('globalPoolBackward', x, dy, g.outShape);
  return g;
}

export function inferAdaptiveAvgPoolBackward(x: Shape, dy: Shape, params: AdaptivePoolParams): AdaptivePoolConfig {
  const g = inferAdaptiveAvgPool(x, params);
  checkDy('adaptiveAvgPoolBackward', x, dy, g.outShape, params.name);
  return g;
}

/** The forward's checks (bias is not an input of the backward: it has coeff's shape). */
export function inferSubsampleBackward(x: Shape, coeff: Shape, dy: Shape, params: SubsampleParams): SubsampleConfig {
  const g = inferSubsample(x, coeff, coeff, params);
  checkDy('subsampleBackward', x, dy, g.outShape, params.name);
  return g;
}

export function inferLrnBackward(x: Shape, dy: Shape, params: LrnParams): LrnConfig {
  const g = inferLrn(x, params);
  checkDy('lrnBackward', x, dy, x, params.name);
  return g;
}

// ---- Kernels --------------------------------------------------------------------------------
