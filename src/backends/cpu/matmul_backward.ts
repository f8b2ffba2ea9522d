/**
 * CPU reference: the backward of dense and LeNet-5's RBF layer. Naive loops, float64
 * accumulation, float32 storage. Shape inference: src/ops/matmul_backward.ts, shared with the
 * WebGPU kernels.
 */
import type { HostTensor } from './host_tensor.js';
import type { GradRequest } from '../training.js';
import { wantedGrads } from '../../ops/conv2d_backward.js';
import { inferDenseBackward, inferRbfBackward } from '../../ops/matmul_backward.js';

export function denseBackwardCpu(x: HostTensor, w: HostTensor, dy: HostTensor, want: GradRequest): { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } {
  const { n, f: inF, k: outF } = inferDenseBackward(x.shape, w.shape, dy.shape);
  const req = wantedGrads(want);
  const out: { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } = {};
  if (req.input) {
    const dx = new Float32Array(n * inF); // (N, in) = dy (N, out) · W (out, in)
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let o = 0; o < outF; o++) acc += dy.data[s * outF + o] * w.data[o * inF + i];
        dx[s * inF + i] = acc;
      }
    }
    out.dx = { data: dx, shape: [n, inF] };
  }
  if (req.weight) {
    const dw = new Float32Array(outF * inF); // (out, in) = dyᵀ (out, N) · x (N, in)
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let s = 0; s < n; s++) acc += dy.data[s * outF + o] * x.data[s * inF + i];
        dw[o * inF + i] = acc;
      }
    }
    out.dw = { data: dw, shape: [outF, inF] };
  }
  if (req.bias) {
    const db = new Float32Array(outF); // (out) = Σ_n dy
    for (let o = 0; o < outF; o++) {
      let acc = 0;
      for (let s = 0; s < n; s++) acc += dy.data[s * outF + o];
      db[o] = acc;
    }
    out.db = { data: db, shape: [outF] };
  }
  return out;
}

export function rbfBackwardCpu(x: HostTensor, centers: HostTensor, dy: HostTensor): { dx: HostTensor; dcenters: HostTensor } {
  const { n, f, k } = inferRbfBackward(x.shape, centers.shape, dy.shape);
  const dx = new Float32Array(n * f); // (N, F)
  const dc = new Float32Array(k * f); // (K, F)
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < f; j++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += 2 * (x.data[s * f + j] - centers.data[c * f + j]) * dy.data[s * k + c];
      dx[s * f + j] = acc;
    }
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < f; j++) {
      let acc = 0;
      for (let s = 0; s < n; s++) acc -= 2 * (x.data[s * f + j] - centers.data[c * f + j]) * dy.data[s * k + c];
      dc[c * f + j] = acc;
    }
  }
  return { dx: { data: dx, shape: [n, f] }, dcenters: { data: dc, shape: [k, f] } };
}
