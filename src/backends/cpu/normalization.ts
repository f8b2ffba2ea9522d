/** CPU reference: batch normalization (inference) and concatenation. Float64 arithmetic, float32 storage. */
import type { HostTensor } from './cpu_tensor.js';
import type { Activation } from '../../ops/activation.js';
import { applyActivation } from '../../ops/activation.js';
import { inferBatchNorm, inferConcat } from '../../ops/normalization.js';

export interface BatchNormCpuParams {
  gamma: HostTensor;
  beta: HostTensor;
  mean: HostTensor;
  variance: HostTensor;
  epsilon?: number;
  activation?: Activation;
  name?: string;
}

/** y = act(γ[c]·(x − μ[c]) / sqrt(σ²[c] + ε) + β[c]), x viewed as (N, C, S). */
export function batchNormCpu(x: HostTensor, params: BatchNormCpuParams): HostTensor {
  const { gamma, beta, mean, variance } = params;
  const g = inferBatchNorm(
    x.shape,
    { gamma: gamma.shape, beta: beta.shape, mean: mean.shape, variance: variance.shape },
    params,
  );
  const out = new Float32Array(x.data.length); // (N, C, S)
  for (let n = 0; n < g.batch; n++) {
    for (let c = 0; c < g.channels; c++) {
      const base = (n * g.channels + c) * g.spatial;
      const sd = Math.sqrt(variance.data[c] + g.epsilon);
      for (let s = 0; s < g.spatial; s++) {
        const v = (gamma.data[c] * (x.data[base + s] - mean.data[c])) / sd + beta.data[c];
        out[base + s] = applyActivation(v, g.act);
      }
    }
  }
  return { data: out, shape: g.outShape };
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
