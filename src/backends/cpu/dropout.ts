/** CPU reference: dropout in training mode, with the mask the WebGPU kernel draws (src/ops/dropout.ts). */
import type { HostTensor } from './host_tensor.js';
import { inferDropoutTrain, dropoutHash, seedToU32 } from '../../ops/dropout.js';

/** mask[i] = 0 if the top 24 bits of dropoutHash(seed, i) < round(rate·2²⁴), else 1/(1 − rate); y = x·mask. */
export function dropoutTrainCpu(x: HostTensor, rate: number, seed: HostTensor): { y: HostTensor; mask: HostTensor } {
  const cfg = inferDropoutTrain(x.shape, rate, seed.shape);
  const s = seedToU32(seed.data[0]);
  const y = new Float32Array(x.data.length);
  const mask = new Float32Array(x.data.length);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = dropoutHash(s, i) >>> 8 < cfg.threshold ? 0 : cfg.scale;
    y[i] = x.data[i] * mask[i];
  }
  return { y: { data: y, shape: [...x.shape] }, mask: { data: mask, shape: [...x.shape] } };
}
