/**
 * How a per-channel reduction (batch-norm statistics and their backward, a conv's bias
 * gradient) is cut: `parts` workgroups per channel, each summing `chunk` consecutive values,
 * then a second pass that combines each channel's parts. One workgroup per channel streams
 * N·H·W values through 64–128 invocations: latency-bound on a GPU when channels are few and
 * long (ResNet's stem at batch 8 has 64 channels of 100,352 values). Parts are added until
 * there are about `targetWorkgroups` in all, each at least `minChunk` values, so short
 * reductions keep one pass and one dispatch.
 */
import { ceilDiv } from './program.js';

export interface ReductionSplit {
  /** Workgroups per channel (1: a single pass that writes the result itself). */
  readonly parts: number;
  /** Values per part; the last part of a channel may be shorter. */
  readonly chunk: number;
}

/**
 * On SwiftShader (bench/conv2d-backward.ts) a second dispatch and its scratch cost more than a
 * one-pass reduction saves below a few thousand values per channel (LeNet C3's bias gradient,
 * 6,400 per channel: 13 ms in one pass, 60 ms in two with 2,048-value parts), hence 8,192.
 */
export const REDUCTION_SPLIT = { targetWorkgroups: 256, minChunk: 8192 } as const;

export function selectReductionSplit(channels: number, length: number, tuning: { targetWorkgroups: number; minChunk: number } = REDUCTION_SPLIT): ReductionSplit {
  const wanted = Math.max(1, Math.ceil(tuning.targetWorkgroups / Math.max(1, channels)));
  const parts = Math.max(1, Math.min(wanted, Math.floor(length / tuning.minChunk)));
  const chunk = Math.max(1, ceilDiv(length, parts));
  // Rounding the chunk up may leave the last part empty: count only parts that hold values.
  return { parts: Math.max(1, ceilDiv(length, chunk)), chunk };
}
