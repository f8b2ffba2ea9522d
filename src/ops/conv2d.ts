/**
 * conv2d: parameters, their normalized form, and shape inference — pure functions shared by
 * the CPU reference and the WebGPU kernels, run before any GPU work.
 */
import type { Activation } from './activation.js';

/** Padding: one number for all sides, [vertical, horizontal], [top, left, bottom, right], or SAME/VALID. */
export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

export interface Conv2dParams {
  /** Stride, one number or [sH, sW]. Default 1. */
  stride?: number | readonly [number, number];
  /** Default 0 ('valid'). 'same' pads so that Ho = ceil(H / sH) (extra padding at bottom/right, as TF and ONNX SAME_UPPER). */
  padding?: Padding2d;
  /** Dilation, one number or [dH, dW]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Groups: C and Cout must both be divisible by it; groups = C = Cout is depthwise. Default 1. */
  groups?: number;
  /** Activation fused into the output. Default none. */
  activation?: Activation;
  /**
   * Connection-table mode (LeNet-5's C3): `connectionTable[o]` lists the input maps output map o
   * reads. Weights then have shape (Σ|table[o]|, kH, kW): the kernels of each (o, input) pair in
   * table order. Incompatible with groups > 1.
   */
  connectionTable?: readonly (readonly number[])[];
  /** Layer name, used in error messages. */
  name?: string;
}
