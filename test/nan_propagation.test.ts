// NaN and ±Inf through every op where WGSL's licence to assume "no NaN" could drop a NaN that
// the CPU reference propagates: activations (standalone and fused), max pooling, global max
// pooling, reduce max/min/logSumExp, argMax/argMin, softmax, log-softmax, the losses and
// elementwise max/min. The kernels test a NaN's bits (`is_nan_bits`, shaders/ieee.wgsl), which
// no fast-math assumption removes; here both backends are fed NaN and ±Inf and the bits of
// their results are checked: NaN where a NaN flows (any payload), the exact value elsewhere.
import { describe, expect } from 'vitest';
import { Sequential, layers, type Backend, type Tensor, type LayerConfig, type Activation, type Model, type TrainingBackend } from 'webcnn';
import { opOf } from '../src/ops/registry.js';
import { exampleActivations } from '../src/ops/activation.js';
import { gpuIt, cpu, counts } from './helpers/gpu.js';
import { closeReport } from './helpers/compare.js';

const NaN32 = Number.NaN;
const inf = Infinity;
const bitsOf = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
/** A NaN by its bits: exponent all ones, mantissa non-zero (what the kernels test too). */
const isNanBits = (b: number) => (b & 0x7fffffff) > 0x7f800000;

/** Each value is a NaN ('nan') or has exactly the bits of the float32 number given (±0, ±Inf distinct). */
type Want = number | 'nan' | 'any';

function expectBits(got: Float32Array, want: readonly Want[], label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const bits = bitsOf(got);
  want.forEach((w, i) => {
    if (w === 'any') return;
    if (w === 'nan') expect(isNanBits(bits[i]), `${label}[${i}] = ${got[i]}, want NaN`).toBe(true);
    else expect(bits[i].toString(16), `${label}[${i}] = ${got[i]}, want ${w}`).toBe(bitsOf(Float32Array.of(w))[0].toString(16));
  });
}

/** Runs `build` on the CPU reference and on the GPU with the same input; both outputs. */
async function onBoth(gpu: Backend, x: Float32Array, shape: number[], build: (b: Backend, x: Tensor) => Tensor): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const b of [cpu, gpu]) {
    const xt = b.tensor(x, shape);
    const y = build(b, xt);
    try {
      out.push(await y.read());
    } finally {
      y.dispose();
      xt.dispose();
    }
  }
  counts.comparisons++;
  return out;
}

/** A layer's forward alone, as every backend runs it. */
const layer = (config: LayerConfig) => (b: Backend, x: Tensor): Tensor => opOf(config).forward(b, { layer: config, name: 'l', inputs: [x], params: [] });

/** Expects both backends to give `want`, and the values `want` leaves open to agree within `tol`. */
async function expectBoth(gpu: Backend, x: Float32Array, shape: number[], build: (b: Backend, x: Tensor) => Tensor, want: readonly Want[], label: string): Promise<void> {
  const [ref, got] = await onBoth(gpu, x, shape, build);
  expectBits(ref, want, `${label} (CPU)`);
  expectBits(got, want, `${label} (GPU)`);
  expect(closeReport(got, ref, { atol: 1e-6, rtol: 1e-5 }), `${label}: GPU vs CPU`).toBeNull();
}

describe('activations: NaN in → NaN out, ±Inf where max and min decide', () => {
  gpuIt('every activation of the table maps NaN to NaN on both backends, standalone (vec4 kernel)', async (gpu) => {
    const acts: Activation[] = [...exampleActivations(), 'relu6'];
    for (const act of acts) {
      const x = Float32Array.of(NaN32, 0.5, 2, NaN32, 3, NaN32, 1, 0.25);
      const [ref, got] = await onBoth(gpu, x, [8], (b, t) => b.activation(t, act));
      for (const [which, y] of [['CPU', ref], ['GPU', got]] as const) {
        for (const i of [0, 3, 5]) expect(isNanBits(bitsOf(y)[i]), `${JSON.stringify(act)}(NaN) on the ${which} = ${y[i]}`).toBe(true);
      }
    }
  });

  const f = Math.fround;
  // [activation, its values at +inf, -inf, NaN, 0.5]
  const CASES: [Activation, Want[]][] = [
    ['relu', [inf, 0, 'nan', 0.5]],
    ['relu6', [6, 0, 'nan', 0.5]],
    [{ type: 'clip', min: -0.5, max: 0.7 }, [f(0.7), -0.5, 'nan', 0.5]],
    [{ type: 'hardSigmoid', alpha: 0.2, beta: 0.4 }, [1, 0, 'nan', 'any']],
    ['hardSigmoid', [1, 0, 'nan', 'any']],
    [{ type: 'leakyRelu', alpha: 0.1 }, [inf, -inf, 'nan', 0.5]],
    [{ type: 'thresholdedRelu', alpha: 1 }, [inf, 0, 'nan', 0]],
  ];
  for (const [act, want] of CASES) {
    gpuIt(`${JSON.stringify(act)} at +inf, -inf, NaN: the exact bits on both backends`, async (gpu) => {
      await expectBoth(gpu, Float32Array.of(inf, -inf, NaN32, 0.5), [4], (b, t) => b.activation(t, act), want, JSON.stringify(act));
    });
  }

  gpuIt('fused into conv2d, dense and max pooling: a NaN pixel makes its sample NaN through relu, relu6 and max pools', async (gpu) => {
    const net = (backend: Backend): Model =>
      new Sequential({ inputShape: [2, 6, 6], name: 'nan', backend, seed: 5 })
        .add(layers.conv2d({ filters: 3, kernelSize: 3, padding: 1, activation: 'relu' }), 'conv')
        .add(layers.maxPool2d({ kernelSize: 2 }), 'pool')
        .add(layers.flatten(), 'flat')
        .add(layers.dense({ units: 4, activation: 'relu6' }), 'fc')
        .add(layers.softmax(), 'prob');
    const onGpu = net(gpu);
    const onCpu = net(cpu);
    try {
      const x = Float32Array.from({ length: 2 * 72 }, (_, i) => Math.sin(i));
      x[13] = NaN32; // sample 0 only
      const [ref, got] = [await onCpu.predict(x, 2), await onGpu.predict(x, 2)];
      counts.comparisons++;
      const want: Want[] = [...Array<Want>(4).fill('nan'), ...Array<Want>(4).fill('any')];
      expectBits(ref, want, 'CPU');
      expectBits(got, want, 'GPU');
      expect(closeReport(got.subarray(4), ref.subarray(4), { atol: 1e-5, rtol: 1e-4 }), 'the clean sample').toBeNull();
    } finally {
      onGpu.dispose();
      onCpu.dispose();
    }
  });
});

describe('pooling and reductions: a NaN wins every max and min', () => {
  gpuIt('max pooling: a NaN anywhere in its window, first cell or not; +Inf wins; -Inf loses', async (gpu) => {
    // 4×4 plane of 0..15; 2×2 windows: {0,1,4,5} {2,3,6,7} {8,9,12,13} {10,11,14,15}.
    const x = Float32Array.from({ length: 16 }, (_, i) => i);
    x[5] = NaN32; // last cell of window 0
    x[2] = NaN32; // first cell of window 1
    x[11] = inf;
    x[13] = -inf;
    await expectBoth(gpu, x, [1, 1, 4, 4], layer({ type: 'pool2d', pool: 'max', kernelSize: 2 }), ['nan', 'nan', 12, inf], 'maxPool 2×2');
    // Dilated windows take the other path of the kernel: cells (0,0), (0,2), (2,0), (2,2) of each.
    await expectBoth(gpu, x, [1, 1, 4, 4], layer({ type: 'pool2d', pool: 'max', kernelSize: 2, stride: 1, dilation: 2 }), ['nan', inf, 14, 'nan'], 'maxPool dilated');
  });

  gpuIt('global max pool: NaN in a 30×30 plane, a plane of -Inf, a plane with +Inf', async (gpu) => {
    const plane = 900;
    const x = Float32Array.from({ length: 3 * plane }, (_, i) => Math.cos(i));
    x[plane - 1] = NaN32;
    x.fill(-inf, plane, 2 * plane);
    x[2 * plane + 17] = inf;
    await expectBoth(gpu, x, [1, 3, 30, 30], layer({ type: 'globalPool', pool: 'max' }), ['nan', -inf, inf], 'globalMaxPool');
  });

  // Rows of 70 (more than a 64-invocation workgroup): row 0 holds NaN at 40 and 60, row 1 is all
  // -Inf, row 2 holds +Inf at 10 and -Inf at 20.
  const rows = (): Float32Array => {
    const x = Float32Array.from({ length: 3 * 70 }, (_, i) => Math.sin(i * 0.7));
    x[40] = NaN32;
    x[60] = NaN32;
    x.fill(-inf, 70, 140);
    x[140 + 10] = inf;
    x[140 + 20] = -inf;
    return x;
  };
  const reduce = (op: 'max' | 'min' | 'logSumExp' | 'sum'): LayerConfig => ({ type: 'reduce', op, axes: [1] });

  gpuIt('reduce max, min and logSumExp: NaN rows are NaN, an all -Inf row is -Inf (not -FLT_MAX)', async (gpu) => {
    await expectBoth(gpu, rows(), [3, 70], layer(reduce('max')), ['nan', -inf, inf], 'reduce max');
    await expectBoth(gpu, rows(), [3, 70], layer(reduce('min')), ['nan', -inf, -inf], 'reduce min');
    await expectBoth(gpu, rows(), [3, 70], layer(reduce('logSumExp')), ['nan', 'nan', 'nan'], 'reduce logSumExp');
  });

  gpuIt('argMax and argMin pick the first NaN (the last with selectLastIndex), as NumPy and PyTorch', async (gpu) => {
    const arg = (op: 'max' | 'min', selectLastIndex = false): LayerConfig => ({ type: 'argReduce', op, axis: 1, selectLastIndex });
    await expectBoth(gpu, rows(), [3, 70], layer(arg('max')), [40, 0, 10], 'argMax');
    await expectBoth(gpu, rows(), [3, 70], layer(arg('min')), [40, 0, 20], 'argMin');
    await expectBoth(gpu, rows(), [3, 70], layer(arg('max', true)), [60, 69, 10], 'argMax last');
    await expectBoth(gpu, rows(), [3, 70], layer(arg('min', true)), [60, 69, 20], 'argMin last');
  });
});

describe('softmax, log-softmax and losses', () => {
  // Row 0 holds a NaN, row 1 is clean, row 2 holds +Inf (x − max = Inf − Inf = NaN).
  const x = Float32Array.of(1, NaN32, 2, 0.5, 1, -2, 0.5, 3, 0.25, 1, inf, -1);
  const want: Want[] = ['nan', 'nan', 'nan', 'nan', 'any', 'any', 'any', 'any', 'nan', 'nan', 'nan', 'nan'];
  gpuIt('softmax and log-softmax: a NaN or +Inf makes its row NaN and leaves the others alone', async (gpu) => {
    await expectBoth(gpu, x, [3, 4], layer({ type: 'softmax' }), want, 'softmax');
    await expectBoth(gpu, x, [3, 4], layer({ type: 'softmax', log: true }), want, 'logSoftmax');
    // Along axis 0 (strided rows): column 1 and column 2 are NaN.
    const col: Want[] = ['any', 'nan', 'nan', 'any', 'any', 'nan', 'nan', 'any', 'any', 'nan', 'nan', 'any'];
    await expectBoth(gpu, x, [3, 4], layer({ type: 'softmax', axis: 0 }), col, 'softmax axis 0');
  });

  gpuIt('softmaxCrossEntropy and mseLoss: a NaN prediction makes its sample loss and gradient NaN', async (gpu) => {
    const labels = Float32Array.of(2, 0, 3);
    const ce = (b: Backend, t: Tensor) => {
      const l = b.tensor(labels, [3]);
      const r = (b as TrainingBackend).softmaxCrossEntropy(t, l);
      l.dispose();
      r.grad.dispose();
      return r.loss;
    };
    await expectBoth(gpu, x, [3, 4], ce, ['nan', 'any', 'nan'], 'softmaxCrossEntropy loss');
    const ceGrad = (b: Backend, t: Tensor) => {
      const l = b.tensor(labels, [3]);
      const r = (b as TrainingBackend).softmaxCrossEntropy(t, l);
      l.dispose();
      r.loss.dispose();
      return r.grad;
    };
    await expectBoth(gpu, x, [3, 4], ceGrad, want, 'softmaxCrossEntropy grad');
    const mse = (b: Backend, t: Tensor) => {
      const target = b.tensor(new Float32Array(12).fill(0.5), [3, 4]);
      const r = (b as TrainingBackend).mseLoss(t, target);
      target.dispose();
      r.grad.dispose();
      return r.loss;
    };
    await expectBoth(gpu, x, [3, 4], mse, ['nan', 'any', inf], 'mseLoss');
  });
});
