// conv2dTranspose (PyTorch's ConvTranspose2d, ONNX ConvTranspose): the CPU twin against the
// scatter definition on small cases; the WebGPU kernel (conv2d backward's dx paths: col, the
// flipped forward convolution, the gather, and the gather under forceNaive) against the CPU
// over a randomized sweep (odd sizes, strides 1–3, padding, output padding, dilation, groups
// incl. depthwise, batch > 1, with and without bias and activation); its gradients (input,
// weight, bias) against finite differences, and GPU = CPU training; ONNX's ConvTranspose node
// tests through the importer; and a PyTorch-exported ConvTranspose2d net against PyTorch.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Model, input, apply, layers, CpuBackend, WebGpuBackend, InvalidArgumentError, ShapeError,
  type Activation, type Backend, type Conv2dTransposeLayer,
} from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { decodeTensor, importOnnx, inspectOnnx, loadOnnx, tensorFromProto, type OnnxConstant } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  layer: Conv2dTransposeLayer;
}

/** A model of one conv2dTranspose layer on (C, H, W) inputs. */
function convtModel(backend: Backend, k: Case, seed = 1): Model {
  const x = input([k.c, k.h, k.w], 'x');
  const y = apply(k.layer, x, 'convt');
  return new Model({ inputs: x, outputs: y, name: 'convt', backend, seed });
}

const pairOf = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/**
 * The definition, as a scatter: every input value x[n, c, iy, ix] adds x · w[c, j, ky, kx] to
 * out[n, g·mg + j, iy·sH − padTop + ky·dH, ix·sW − padLeft + kx·dW] where that is inside the
 * output; then the bias. Explicit numeric padding only.
 */
function scatter(k: Case, x: Float32Array, w: Float32Array, bias: Float32Array | undefined): { data: Float64Array; shape: number[] } {
  const [kh, kw] = pairOf(k.layer.kernelSize, 1);
  const [sh, sw] = pairOf(k.layer.strides, 1);
  const [dh, dw] = pairOf(k.layer.dilation, 1);
  const [oph, opw] = pairOf(k.layer.outputPadding, 0);
  const p = k.layer.padding ?? 0;
  if (typeof p === 'string') throw new Error('scatter: numeric padding only');
  const [top, left, bottom, right] = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
  const groups = k.layer.groups ?? 1;
  const cout = k.layer.filters;
  const mg = cout / groups;
  const cg = k.c / groups;
  const ho = (k.h - 1) * sh - top - bottom + (kh - 1) * dh + 1 + oph;
  const wo = (k.w - 1) * sw - left - right + (kw - 1) * dw + 1 + opw;
  const out = new Float64Array(k.n * cout * ho * wo);
  for (let n = 0; n < k.n; n++) {
    for (let c = 0; c < k.c; c++) {
      const g = Math.floor(c / cg);
      for (let iy = 0; iy < k.h; iy++) {
        for (let ix = 0; ix < k.w; ix++) {
          const v = x[((n * k.c + c) * k.h + iy) * k.w + ix];
          for (let j = 0; j < mg; j++) {
            for (let ky = 0; ky < kh; ky++) {
              const oy = iy * sh - top + ky * dh;
              if (oy < 0 || oy >= ho) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ox = ix * sw - left + kx * dw;
                if (ox < 0 || ox >= wo) continue;
                out[((n * cout + g * mg + j) * ho + oy) * wo + ox] += v * w[((c * mg + j) * kh + ky) * kw + kx];
              }
            }
          }
        }
      }
    }
  }
  if (bias) for (let i = 0; i < out.length; i++) out[i] += bias[Math.floor(i / (ho * wo)) % cout];
  return { data: out, shape: [k.n, cout, ho, wo] };
}

const SMALL: Case[] = [
  { n: 1, c: 1, h: 3, w: 3, layer: layers.conv2dTranspose({ filters: 1, kernelSize: 3 }) },
  { n: 2, c: 3, h: 4, w: 5, layer: layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 }) },
  { n: 1, c: 2, h: 5, w: 3, layer: layers.conv2dTranspose({ filters: 3, kernelSize: [3, 2], strides: [2, 3], padding: 1, outputPadding: [1, 2] }) },
  { n: 2, c: 4, h: 3, w: 4, layer: layers.conv2dTranspose({ filters: 6, kernelSize: 3, strides: 2, padding: [1, 0, 2, 1], dilation: 2, groups: 2 }) },
  { n: 1, c: 3, h: 4, w: 4, layer: layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 3, groups: 3, useBias: false }) },
  { n: 1, c: 2, h: 3, w: 3, layer: layers.conv2dTranspose({ filters: 2, kernelSize: 5, padding: 3 }) },
  { n: 1, c: 2, h: 3, w: 2, layer: layers.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 2, outputPadding: 1, padding: [0, 0, 0, 0] }) },
];

describe('conv2dTranspose: the CPU twin', () => {
  const rng = new Rng(41);
  for (const k of SMALL) {
    it(`${JSON.stringify(k.layer)} on [${k.n},${k.c},${k.h},${k.w}] equals the scatter definition`, async () => {
      const m = convtModel(new CpuBackend(), k);
      const x = rng.uniform(k.n * k.c * k.h * k.w);
      const weights = m.getWeights();
      const ref = scatter(k, x, weights.get('convt.weight')!, weights.get('convt.bias'));
      expect(m.outputShapes(k.n)[0]).toEqual(ref.shape);
      expectClose(await m.predict(x), ref.data, { atol: 1e-6, rtol: 1e-5 }, 'cpu vs scatter', ref.shape);
    });
  }

  it("padding 'same' gives H·stride, and both the weight layout and PyTorch's init bound", () => {
    const m = convtModel(new CpuBackend(), { n: 2, c: 4, h: 5, w: 7, layer: layers.conv2dTranspose({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', groups: 2 }) });
    expect(m.outputShapes(2)[0]).toEqual([2, 6, 10, 14]);
    const w = m.getWeights().get('convt.weight')!;
    expect(m.graph.nodes.find((n) => n.name === 'convt')).toBeDefined();
    expect(w.length).toBe(4 * 3 * 3 * 3); // (C, filters/groups, kH, kW)
    const bound = 1 / Math.sqrt(3 * 3 * 3);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    // A window shorter than the stride: the missing rows are output padding.
    const short = convtModel(new CpuBackend(), { n: 1, c: 1, h: 3, w: 3, layer: layers.conv2dTranspose({ filters: 1, kernelSize: 1, strides: 3, padding: 'same' }) });
    expect(short.outputShapes(1)[0]).toEqual([1, 1, 9, 9]);
  });

  it('refuses bad configurations, naming the layer', () => {
    const bad = (layer: Conv2dTransposeLayer) => () => convtModel(new CpuBackend(), { n: 1, c: 4, h: 3, w: 3, layer }).info();
    expect(bad(layers.conv2dTranspose({ filters: 3, kernelSize: 3, groups: 2 }))).toThrow(ShapeError);
    expect(bad(layers.conv2dTranspose({ filters: 3, kernelSize: 3, groups: 2 }))).toThrow("conv2dTranspose 'convt'");
    expect(bad(layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'same', outputPadding: 1 }))).toThrow(InvalidArgumentError);
    expect(bad(layers.conv2dTranspose({ filters: 2, kernelSize: 3, outputPadding: -1 }))).toThrow(InvalidArgumentError);
    expect(bad(layers.conv2dTranspose({ filters: 2, kernelSize: 1, padding: 2 }))).toThrow('crops the whole output');
  });
});

const ACTS: (Activation | undefined)[] = [undefined, 'relu', 'tanh', { type: 'leakyRelu', alpha: 0.2 }];

/** A random layer: strides 1–3, padding up to the window, output padding below max(stride, dilation), groups. */
function randomCase(rng: Rng): Case {
  const groups = rng.pick([1, 1, 2, 3]);
  const cg = rng.int(1, 6);
  const mg = rng.pick([1, 2, 3, 5, 17]);
  const kh = rng.int(1, 4);
  const kw = rng.int(1, 4);
  const sh = rng.int(1, 3);
  const sw = rng.int(1, 3);
  const dh = rng.pick([1, 1, 2]);
  const dw = rng.pick([1, 1, 3]);
  const pad = (k: number, d: number) => rng.int(0, Math.max(0, Math.floor(((k - 1) * d) / 2) + 1));
  const padding: [number, number, number, number] = [pad(kh, dh), pad(kw, dw), pad(kh, dh), pad(kw, dw)];
  const outputPadding: [number, number] = [rng.int(0, Math.max(sh, dh) - 1), rng.int(0, Math.max(sw, dw) - 1)];
  const k: Case = {
    n: rng.int(1, 3),
    c: cg * groups,
    h: rng.int(1, 7),
    w: rng.int(1, 8),
    layer: layers.conv2dTranspose({
      filters: mg * groups, kernelSize: [kh, kw], strides: [sh, sw], padding, outputPadding, dilation: [dh, dw], groups,
      useBias: rng.next() < 0.7,
      ...(rng.pick(ACTS) ? { activation: rng.pick(ACTS.slice(1)) } : {}),
    }),
  };
  // Keep cases whose padding leaves an output.
  const size = (i: number, s: number, kk: number, d: number, op: number) => ([k.h, k.w][i] - 1) * s - padding[i] - padding[i + 2] + (kk - 1) * d + 1 + op;
  return size(0, sh, kh, dh, outputPadding[0]) >= 1 && size(1, sw, kw, dw, outputPadding[1]) >= 1 ? k : randomCase(rng);
}

/** Fixed cases for each dx path: col (≥ 4 input channels per group), forward (stride 1, ≥ 16 output channels per group or depthwise), gather. */
const PATHS: Case[] = [
  { n: 2, c: 8, h: 5, w: 6, layer: layers.conv2dTranspose({ filters: 5, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: 'relu' }) },
  { n: 2, c: 3, h: 5, w: 4, layer: layers.conv2dTranspose({ filters: 16, kernelSize: 3, padding: [1, 0, 2, 1], dilation: 2, activation: 'tanh' }) },
  { n: 2, c: 6, h: 7, w: 5, layer: layers.conv2dTranspose({ filters: 6, kernelSize: 3, padding: 1, groups: 6 }) },
  { n: 3, c: 2, h: 4, w: 5, layer: layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 1, dilation: [1, 2] }) },
  { n: 1, c: 4, h: 3, w: 3, layer: layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 3, padding: [0, 0, 0, 0], outputPadding: 2, groups: 4, useBias: false }) },
  { n: 2, c: 12, h: 5, w: 5, layer: layers.conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', groups: 2, activation: 'relu' }) },
];

async function expectGpuEqualsCpu(gpu: Backend, k: Case, rng: Rng, label: string): Promise<void> {
  const onCpu = convtModel(new CpuBackend(), k);
  const onGpu = convtModel(gpu, k);
  const x = rng.uniform(k.n * k.c * k.h * k.w);
  const ref = await onCpu.predict(x);
  expect(onGpu.outputShapes(k.n)).toEqual(onCpu.outputShapes(k.n));
  expectClose(await onGpu.predict(x), ref, { atol: 1e-5, rtol: 1e-4 }, label, onCpu.outputShapes(k.n)[0]);
  onGpu.dispose();
}

describe('conv2dTranspose: GPU vs CPU', () => {
  const rng = new Rng(42);
  const cases = [...PATHS, ...Array.from({ length: 24 }, () => randomCase(rng))];
  cases.forEach((k, i) => {
    gpuIt(`#${i} ${JSON.stringify(k.layer)} on [${k.n},${k.c},${k.h},${k.w}]`, (gpu) => expectGpuEqualsCpu(gpu, k, rng, `case ${i}`));
  });

  let naive: Promise<WebGpuBackend> | undefined;
  gpuIt('the gather under debug.forceNaive equals the CPU', async (gpu) => {
    naive ??= WebGpuBackend.create({ context: gpu.ctx, debug: { forceNaive: true } });
    const b = await naive;
    for (const [i, k] of PATHS.entries()) await expectGpuEqualsCpu(b, k, rng, `forceNaive case ${i}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Gradients and training

/** (N, C, H, W) → conv 1×1 (so the transposed convolution's input gradient reaches a weight) → conv2dTranspose → flatten → dense(3). */
function net(backend: Backend, convt: Conv2dTransposeLayer, chw: [number, number, number]): Model {
  const x = input(chw, 'x');
  const c = apply(layers.conv2d({ filters: 4, kernelSize: 1, activation: 'tanh' }), x, 'conv');
  const t = apply(convt, c, 'convt');
  const f = apply(layers.flatten(), t, 'flat');
  const y = apply(layers.dense({ units: 3 }), f, 'fc');
  return new Model({ inputs: x, outputs: y, name: 'decoder', backend, seed: 5 });
}

const TRAIN_LAYERS: Conv2dTransposeLayer[] = [
  // Output padding past the bottom padding: the backward crops dy.
  layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, outputPadding: 1, groups: 2, activation: 'tanh' }),
  layers.conv2dTranspose({ filters: 6, kernelSize: [3, 2], strides: [2, 3], padding: [1, 0, 2, 1], outputPadding: [1, 2], dilation: [2, 1] }),
  layers.conv2dTranspose({ filters: 4, kernelSize: 3, padding: 1, groups: 4, useBias: false, activation: 'sigmoid' }),
];

describe('conv2dTranspose trains', () => {
  const rng = new Rng(43);
  const chw: [number, number, number] = [2, 3, 4];
  const data = { images: rng.uniform(4 * numel(chw), -1, 1), labels: new Float32Array([0, 1, 2, 1]) };

  TRAIN_LAYERS.forEach((convt, i) => {
    it(`#${i}: its input, weight and bias gradients equal finite differences (CPU)`, async () => {
      const backend = new CpuBackend();
      const model = net(backend, convt, chw);
      const before = model.getWeights();
      await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      const keys = ['conv.weight', 'convt.weight', ...(convt.useBias === false ? [] : ['convt.bias'])];
      const failures: string[] = [];
      for (const key of keys) {
        const w0 = before.get(key)!;
        const step = Math.max(1, Math.floor(w0.length / 12));
        for (let j = 0; j < w0.length; j += step) {
          const at = async (d: number) => {
            const m = net(backend, convt, chw);
            const v = w0.slice();
            v[j] += d;
            m.setWeights(new Map(before).set(key, v));
            return (await evaluate(m, data)).loss;
          };
          const numeric = ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
          const analytic = w0[j] - after.get(key)![j];
          if (!(Math.abs(analytic - numeric) <= 2e-3 + 2e-2 * Math.abs(numeric))) failures.push(`${key}[${j}]: numeric ${numeric}, analytic ${analytic}`);
        }
      }
      expect(failures).toEqual([]);
    });

    gpuIt(`#${i}: two SGD steps on the GPU give the CPU weights`, async (gpu) => {
      const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
      const onGpu = net(gpu, convt, chw);
      const onCpu = net(new CpuBackend(), convt, chw);
      await fit(onGpu, data, opts);
      await fit(onCpu, data, opts);
      const want = onCpu.getWeights();
      for (const [key, v] of onGpu.getWeights()) expectClose(v, want.get(key)!, { atol: 1e-5, rtol: 1e-4 }, key);
      onGpu.dispose();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

/** One ONNX node test: X computed, the other graph inputs (W, B) given as load-time constants, as an export holds them. */
async function runNodeTest(backend: Backend, name: string): Promise<void> {
  const dir = join(NODE_TESTS, name);
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const graphInputs = inspectOnnx(bytes, name).inputs.filter((i) => !i.initializer).map((i) => i.name);
  const read = (f: string) => {
    const proto = decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', f))), f);
    return tensorFromProto(proto, f);
  };
  const inputs = graphInputs.map((_, i) => read(`input_${i}.pb`));
  const want = read('output_0.pb');
  const constants: Record<string, OnnxConstant> = {};
  graphInputs.slice(1).forEach((n, i) => (constants[n] = { dims: inputs[i + 1].dims, data: inputs[i + 1].data }));
  const model = importOnnx(bytes, { backend, label: name, constants, inputShapes: { [graphInputs[0]]: inputs[0].dims } });
  try {
    expect(model.outputShapes(inputs[0].dims[0])[0], `${name} output shape`).toEqual(want.dims);
    const got = await model.predict(inputs[0].data as Float32Array, inputs[0].dims[0]);
    expectClose(got, want.data as Float32Array, { atol: 1e-5, rtol: 1e-3 }, `${name} (${backend.name})`, want.dims);
  } finally {
    model.dispose();
  }
}

const NODE_CASES = [
  'test_convtranspose', 'test_convtranspose_1d', 'test_convtranspose_autopad_same', 'test_convtranspose_dilations', 'test_convtranspose_kernel_shape',
  'test_convtranspose_output_shape', 'test_convtranspose_pad', 'test_convtranspose_pads', 'test_convtranspose_with_kernel',
];

describe('ONNX ConvTranspose node tests', () => {
  for (const name of NODE_CASES) {
    gpuIt(`${name} on the GPU and the CPU`, async (gpu) => {
      await runNodeTest(gpu, name);
      await runNodeTest(new CpuBackend(), name);
    });
  }

  it('test_convtranspose_3d is refused with an error naming the node', async () => {
    await expect(runNodeTest(new CpuBackend(), 'test_convtranspose_3d')).rejects.toThrow('3-D ConvTranspose (rank-5 input) is not supported');
  });
});

describe('a PyTorch ConvTranspose2d decoder (scripts/convt_fixture.py)', () => {
  const dir = new URL('./fixtures/onnx/', import.meta.url);
  const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
  gpuIt('stride 2 with output_padding 1, groups 2, dilation 2 and a depthwise one equal PyTorch on the GPU and the CPU', async (gpu) => {
    const x = readNpy(read('convt.input.npy'), 'convt.input.npy');
    const y = readNpy(read('convt.output.npy'), 'convt.output.npy');
    for (const backend of [gpu, new CpuBackend()]) {
      const model = await loadOnnx(read('convt.onnx'), { backend, label: 'convt.onnx' });
      expect(model.graph.nodes.filter((n) => n.layer.type === 'conv2dTranspose')).toHaveLength(3);
      expect(model.outputShapes(2)[0]).toEqual([2, 4, 13, 48]);
      expectClose(await model.predict(x.data as Float32Array), y.data as Float32Array, { atol: 1e-5, rtol: 1e-3 }, `convt (${backend.name})`, [2, 4, 13, 48]);
      model.dispose();
    }
  });
});
