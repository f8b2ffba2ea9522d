/**
 * CPU reference: gradient plumbing (sumTo, slice, accumulate) and concatenation. Float64
 * accumulation, float32 storage. Shape inference: src/ops/tensor_ops.ts and, for concat,
 * src/ops/normalization.ts.
 */
import type { HostTensor } from './host_tensor.js';
import { type Shape, sizeOf, stridesOf } from '../../shape.js';
import { inferSumTo, inferSlice, checkSameShape, checkNoAlias } from '../../ops/tensor_ops.js';
import { inferConcat } from '../../ops/normalization.js';

/** Each output value is the sum of the x values that broadcast from it. */
export function sumToCpu(x: HostTensor, shape: Shape): HostTensor {
  const g = inferSumTo(x.shape, shape);
  const out = new Float32Array(sizeOf(g.outShape));
  const keptStrides = stridesOf(g.keptShape);
  const sums = new Float64Array(out.length);
  for (let i = 0; i < x.data.length; i++) {
    // x's multi-index, restricted to the kept dimensions, is the output's.
    let o = 0;
    let rem = i;
    for (let d = 0; d < g.rank; d++) {
      const coord = Math.floor(rem / g.xStrides[d]);
      rem -= coord * g.xStrides[d];
      if (g.keptShape[d] !== 1) o += coord * keptStrides[d];
    }
    sums[o] += x.data[i];
  }
  out.set(sums);
  return { data: out, shape: g.outShape };
}

export function sliceCpu(x: HostTensor, axis: number, start: number, size: number): HostTensor {
  const g = inferSlice(x.shape, axis, start, size);
  const out = new Float32Array(sizeOf(g.outShape)); // (outer, size, inner)
  for (let o = 0; o < g.outer; o++) {
    for (let k = 0; k < g.size; k++) {
      for (let r = 0; r < g.inner; r++) {
        out[(o * g.size + k) * g.inner + r] = x.data[(o * g.axisLen + g.start + k) * g.inner + r];
      }
    }
  }
  return { data: out, shape: g.outShape };
}

export function accumulateCpu(acc: HostTensor, x: HostTensor): void {
  checkSameShape('accumulate', 'accumulator', acc.shape, 'input', x.shape);
  checkNoAlias('accumulate', [['the accumulator', acc.data], ['the input', x.data]], 1);
  for (let i = 0; i < acc.data.length; i++) acc.data[i] += x.data[i];
}

/** Each input copied into its slice of the output, x viewed as (outer, axis, inner). */
export function concatCpu(xs: readonly HostTensor[], axis: number): HostTensor {
  const g = inferConcat(
    xs.map((x) => x.shape),
    axis,
  );
  const outAxis = g.sizes.reduce((a, b) => a + b, 0);
  const out = new Float32Array(g.outer * outAxis * g.inner); // (outer, Σ sizes, inner)
  xs.forEach((x, i) => {
    for (let o = 0; o < g.outer; o++) {
      for (let k = 0; k < g.sizes[i]; k++) {
        for (let r = 0; r < g.inner; r++) {
          out[(o * outAxis + g.offsets[i] + k) * g.inner + r] = x.data[(o * g.sizes[i] + k) * g.inner + r];
        }
      }
    }
  });
  return { data: out, shape: g.outShape };
}
