/**
 * CPU reference: batch normalization, inference (running statistics) and training (batch
 * statistics, updating the running ones in place), and its backward. Float64 arithmetic,
 * float32 storage. Shape inference: src/ops/normalization.ts (inference) and
 * src/ops/batchnorm.ts (training), shared with the WebGPU kernels.
 */
import type { HostTensor } from './host_tensor.js';
import type { BatchNormTrainParams } from '../training.js';
import { type Activation, applyActivation } from '../../ops/activation.js';
import { inferBatchNorm } from '../../ops/normalization.js';
import { checkBatchNormTrain, inferBatchNormBackward } from '../../ops/batchnorm.js';

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

/**
 * Per channel: μ = mean, σ² = biased variance over (N, S) (two passes); y = act(γ(x − μ)/√(σ² + ε) + β).
 * In place: runningMean ← (1 − m)·runningMean + m·μ, runningVar ← (1 − m)·runningVar + m·σ²·M/(M − 1).
 */
export function batchNormTrainCpu(
  x: HostTensor,
  gamma: HostTensor,
  beta: HostTensor,
  runningMean: HostTensor,
  runningVar: HostTensor,
  params: BatchNormTrainParams,
): { y: HostTensor; mean: HostTensor; invStd: HostTensor } {
  const operand = (t: HostTensor) => ({ shape: t.shape, storage: t.data });
  const g = checkBatchNormTrain({ x: operand(x), gamma: operand(gamma), beta: operand(beta), runningMean: operand(runningMean), runningVar: operand(runningVar) }, params);
  const { batch, channels: C, spatial: S, count: M, momentum: mo } = g;
  const y = new Float32Array(x.data.length); // (N, C, S)
  const mean = new Float32Array(C); // (C)
  const invStd = new Float32Array(C); // (C)
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) for (let s = 0; s < S; s++) sum += x.data[(n * C + c) * S + s];
    const mu = sum / M;
    let sq = 0;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const d = x.data[(n * C + c) * S + s] - mu;
        sq += d * d;
      }
    }
    const variance = sq / M;
    const is = 1 / Math.sqrt(variance + g.epsilon);
    mean[c] = mu;
    invStd[c] = is;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        y[i] = applyActivation(gamma.data[c] * (x.data[i] - mu) * is + beta.data[c], g.act);
      }
    }
    runningMean.data[c] = (1 - mo) * runningMean.data[c] + mo * mu;
    runningVar.data[c] = (1 - mo) * runningVar.data[c] + mo * ((variance * M) / (M - 1));
  }
  return { y: { data: y, shape: g.outShape }, mean: { data: mean, shape: [C] }, invStd: { data: invStd, shape: [C] } };
}

/**
 * x̂ = (x − μ)·invStd; dβ = Σ dy; dγ = Σ dy·x̂; dx = γ·invStd/M·(M·dy − dβ − x̂·dγ), sums over (N, S).
 * The statistics μ and invStd are treated as functions of x (training mode).
 */
export function batchNormBackwardCpu(
  x: HostTensor,
  dy: HostTensor,
  gamma: HostTensor,
  mean: HostTensor,
  invStd: HostTensor,
): { dx: HostTensor; dgamma: HostTensor; dbeta: HostTensor } {
  const g = inferBatchNormBackward(x.shape, dy.shape, { gamma: gamma.shape, mean: mean.shape, invStd: invStd.shape });
  const { batch, channels: C, spatial: S, count: M } = g;
  const dx = new Float32Array(x.data.length); // (N, C, S)
  const dgamma = new Float32Array(C); // (C)
  const dbeta = new Float32Array(C); // (C)
  for (let c = 0; c < C; c++) {
    const mu = mean.data[c];
    const is = invStd.data[c];
    let db = 0;
    let dg = 0;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        db += dy.data[i];
        dg += dy.data[i] * (x.data[i] - mu) * is;
      }
    }
    dbeta[c] = db;
    dgamma[c] = dg;
    const k = (gamma.data[c] * is) / M;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        dx[i] = k * (M * dy.data[i] - db - (x.data[i] - mu) * is * dg);
      }
    }
  }
  return { dx: { data: dx, shape: [...x.shape] }, dgamma: { data: dgamma, shape: [C] }, dbeta: { data: dbeta, shape: [C] } };
}
