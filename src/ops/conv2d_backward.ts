/**
 * conv2d backward's shape checks, shared by the CPU reference and the WebGPU kernels: the
 * forward's geometry plus "dy has the forward output's shape". Pure; runs before GPU work.
 */
import { type Conv2dParams, type Conv2dConfig, inferConv2d } from './conv2d.js';
import type { GradRequest } from '../backends/training.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';

const OP = 'conv2dBackward';

/** Which grads a request asks for (each defaults to true). */
export function wantedGrads(want: GradRequest): { input: boolean; weight: boolean; bias: boolean } {
  return { input: want.input !== false, weight: want.weight !== false, bias: want.bias !== false };
}

/**
 * The forward's geometry (inferConv2d, its errors re-labelled with this op's name) plus the
 * check that dy has the forward output's shape. Pure; runs before any GPU work.
 */
export function inferConv2dBackward(xShape: Shape, wShape: Shape, dyShape: Shape, params: Conv2dParams = {}): Conv2dConfig {
  let cfg: Conv2dConfig;
  try {
    cfg = inferConv2d(xShape, wShape, undefined, params);
  } catch (e) {
    if (e instanceof ShapeError || e instanceof InvalidArgumentError) {
      // inferConv2d names the forward op; the caller called the backward.
      const prefix = `${e.op}${e.layer ? ` '${e.layer}'` : ''}: `;
      const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      throw e instanceof ShapeError ? new ShapeError(OP, detail, e.layer) : new InvalidArgumentError(OP, detail, e.layer);
    }
    throw e;
  }
  if (!shapesEqual(dyShape, cfg.outShape)) {
    throw new ShapeError(
      OP,
      `dy has shape ${fmtShape(dyShape)} but the forward output is ${fmtShape(cfg.outShape)} (input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`,
      params.name,
    );
  }
  return cfg;
}
