// The spatial resampling ops: resize (nearest in every rounding mode, linear, cubic; every
// coordinate transform), pad (constant, reflect, edge, wrap; negative pads crop) and
// depthToSpace / spaceToDepth (DCR and CRD). The CPU reference against hand-computed values
// (PyTorch's documented results, ONNX's reference); the GPU against the CPU over randomized odd
// shapes with batch > 1; each op's gradient against finite differences and trained GPU = CPU;
// a zero pad folded into the convolution after it; ONNX's own node tests for Resize, Upsample,
// Pad, DepthToSpace and SpaceToDepth through the importer; and PyTorch's F.interpolate,
// ReflectionPad2d, ReplicationPad2d, PixelShuffle and PixelUnshuffle exported to ONNX equal
// PyTorch.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model, input, apply, layers, CpuBackend, ShapeError, InvalidArgumentError, type Backend, type Dim, type LayerConfig, type ResizeLayer } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { decodeTensor, importOnnx, inspectOnnx, loadOnnx, tensorFromProto, type OnnxConstant } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { gpuIt, counts } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const EXACT = { atol: 0, rtol: 0 };
const CLOSE = { atol: 1e-5, rtol: 1e-5 };
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A model of one layer over an input of this whole shape. */
function oneLayer(backend: Backend, layer: LayerConfig, shape: readonly Dim[]): Model {
  const x = input({ shape, name: 'x' });
  return new Model({ inputs: x, outputs: apply(layer, x, 'op'), name: 'spatial', backend });
}

async function cpuRun(layer: LayerConfig, shape: number[], x: ArrayLike<number>): Promise<{ y: Float32Array; shape: readonly number[] }> {
  const m = oneLayer(new CpuBackend(), layer, shape);
  return { y: await m.predict(Float32Array.from(x)), shape: m.outputShapes()[0] as number[] };
}

/** GPU = CPU for one layer on random input; returns the output shape. */
async function gpuEqualsCpu(gpu: Backend, layer: LayerConfig, shape: number[], rng: Rng, tol = CLOSE): Promise<readonly number[]> {
  const x = rng.uniform(numel(shape), -2, 2);
  const onCpu = oneLayer(new CpuBackend(), layer, shape);
  const onGpu = oneLayer(gpu, layer, shape);
  const ref = await onCpu.predict(x);
  counts.comparisons++;
  expectClose(await onGpu.predict(x), ref, tol, JSON.stringify(layer), onCpu.outputShapes()[0] as number[]);
  onGpu.dispose();
  return onCpu.outputShapes()[0] as number[];
}

const arange = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('resize: the CPU reference against hand-computed values', () => {
  const x = [1, 2, 3, 4]; // (1, 1, 2, 2), PyTorch's nn.Upsample example
  it('nearest ×2 repeats each pixel (PyTorch nn.Upsample)', async () => {
    const { y, shape } = await cpuRun(layers.upsampling2d({ scale: 2 }), [1, 1, 2, 2], x);
    expect(shape).toEqual([1, 1, 4, 4]);
    expect([...y]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('bilinear ×2, align_corners false and true (PyTorch nn.Upsample)', async () => {
    const half = await cpuRun(layers.upsampling2d({ scale: 2, interpolation: 'bilinear' }), [1, 1, 2, 2], x);
    expectClose(half.y, [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], CLOSE, 'half pixel');
    const corners = await cpuRun(layers.upsampling2d({ scale: 2, interpolation: 'bilinear', alignCorners: true }), [1, 1, 2, 2], x);
    const t = 1 / 3;
    expectClose(corners.y, [1, 1 + t, 2 - t, 2, 2 - t, 2, 2 + t, 3 - t, 3 - 2 * t, 3 - t, 3, 3 + t, 3, 3 + t, 4 - t, 4], { atol: 1e-6, rtol: 1e-6 }, 'align corners');
  });
  it('nearest rounding modes and coordinate transforms on one axis', async () => {
    const run = async (c: Partial<ResizeLayer>, n: number, out: number) =>
      [...(await cpuRun({ type: 'resize', sizes: [out], mode: 'nearest', ...c }, [1, n], arange(n))).y];
    // half_pixel 4 → 3: x = (o + 0.5)·4/3 − 0.5 = 0.1667, 1.5, 2.8333
    expect(await run({ nearestMode: 'round_prefer_floor' }, 4, 3)).toEqual([0, 1, 3]);
    expect(await run({ nearestMode: 'round_prefer_ceil' }, 4, 3)).toEqual([0, 2, 3]);
    expect(await run({ nearestMode: 'floor' }, 4, 3)).toEqual([0, 1, 2]);
    expect(await run({ nearestMode: 'ceil' }, 4, 3)).toEqual([1, 2, 3]);
    // asymmetric 2 → 5: x = o·2/5 = 0, 0.4, 0.8, 1.2, 1.6 (floor: PyTorch's nearest)
    expect(await run({ coordinateTransform: 'asymmetric', nearestMode: 'floor' }, 2, 5)).toEqual([0, 0, 0, 1, 1]);
    // align_corners 3 → 5: x = o·2/4
    expect(await run({ coordinateTransform: 'align_corners', nearestMode: 'round_prefer_ceil' }, 3, 5)).toEqual([0, 1, 1, 2, 2]);
    // tf_half_pixel_for_nn 2 → 4: x = (o + 0.5)/2 = 0.25, 0.75, 1.25, 1.75
    expect(await run({ coordinateTransform: 'tf_half_pixel_for_nn' }, 2, 4)).toEqual([0, 1, 1, 1]);
  });
  it('upsampling2d takes a scale or a size, not both', () => {
    expect(() => layers.upsampling2d({ scale: 2, size: 4 })).toThrow(InvalidArgumentError);
    expect(() => layers.upsampling2d({ scale: 2, size: 4 })).toThrow('upsampling2d: give scale or size, not both');
  });
  it('linear 1-D and cubic, and tf_crop_and_resize outside its box', async () => {
    const lin = await cpuRun({ type: 'resize', scales: [2], mode: 'linear' }, [1, 3], [0, 4, 8]);
    expectClose(lin.y, [0, 1, 3, 5, 7, 8], CLOSE, 'linear');
    // Cubic on a ramp, by ONNX's reference (onnx.backend.test.case.node.resize.interpolate_nd): a = −0.75 with aligned
    // corners, and a = −0.5 with half-pixel centres and taps outside excluded.
    const cub = await cpuRun({ type: 'resize', scales: [2], mode: 'cubic', coordinateTransform: 'align_corners' }, [1, 4], [0, 1, 2, 3]);
    expectClose(cub.y, [0, 0.3411078717201158, 0.8002915451895044, 1.3294460641399402, 1.6705539358600578, 2.199708454810497, 2.6588921282798856, 3], CLOSE, 'cubic');
    const keys = await cpuRun({ type: 'resize', scales: [2], mode: 'cubic', cubicCoeffA: -0.5, excludeOutside: true }, [1, 4], [0, 1, 2, 3]);
    expectClose(keys.y, [-0.08823529411764706, 0.1678832116788321, 0.7099236641221374, 1.25, 1.75, 2.2900763358778624, 2.832116788321168, 3.088235294117647], CLOSE, 'cubic exclude outside');
    const crop = await cpuRun({ type: 'resize', sizes: [3], mode: 'linear', coordinateTransform: 'tf_crop_and_resize', roi: [0.5, 1.5], extrapolationValue: 7 }, [1, 3], [0, 4, 8]);
    expectClose(crop.y, [4, 8, 7], CLOSE, 'crop');
  });
});

describe('pad: the CPU reference against hand-computed values', () => {
  const x = arange(9); // (1, 1, 3, 3)
  it('reflect (PyTorch ReflectionPad2d(2)) and edge (ReplicationPad2d(2))', async () => {
    const r = await cpuRun(layers.reflectionPadding2d(2), [1, 1, 3, 3], x);
    expect(r.shape).toEqual([1, 1, 7, 7]);
    const row = (a: number[]) => [a[2], a[1], a[0], a[1], a[2], a[1], a[0]];
    const rows = [[6, 7, 8], [3, 4, 5], [0, 1, 2]].map(row);
    expect([...r.y]).toEqual([...rows[0], ...rows[1], ...rows[2], ...rows[1], ...rows[0], ...rows[1], ...rows[2]]);
    const e = await cpuRun(layers.pad({ pads: [2, 2, 2, 2], mode: 'edge' }), [1, 1, 3, 3], x);
    const erow = (a: number[]) => [a[0], a[0], a[0], a[1], a[2], a[2], a[2]];
    const [r0, r1, r2] = [[0, 1, 2], [3, 4, 5], [6, 7, 8]].map(erow);
    expect([...e.y]).toEqual([...r0, ...r0, ...r0, ...r1, ...r2, ...r2, ...r2]);
  });
  it('constant with a value, negative pads crop, wrap, and zeroPadding2d', async () => {
    const c = await cpuRun(layers.pad({ pads: [1, -1, -2, 1], value: 5 }), [1, 1, 3, 3], x);
    expect(c.shape).toEqual([1, 1, 2, 3]);
    expect([...c.y]).toEqual([5, 5, 5, 1, 2, 5]);
    const w = await cpuRun(layers.pad({ pads: [2, 1], mode: 'wrap' }), [1, 3], [0, 1, 2]);
    expect([...w.y]).toEqual([1, 2, 0, 1, 2, 0]);
    const z = await cpuRun(layers.zeroPadding2d([[1, 0], [0, 2]]), [1, 1, 1, 2], [3, 4]);
    expect(z.shape).toEqual([1, 1, 2, 4]);
    expect([...z.y]).toEqual([0, 0, 0, 0, 3, 4, 0, 0]);
    // Reflecting further than the axis is long keeps mirroring (NumPy's reflect).
    const far = await cpuRun(layers.pad({ pads: [5, 0], mode: 'reflect' }), [1, 3], [0, 1, 2]);
    expect([...far.y]).toEqual([1, 0, 1, 2, 1, 0, 1, 2]);
  });
  it('refuses crops longer than the axis and reflecting nothing, naming the layer', () => {
    expect(() => oneLayer(new CpuBackend(), layers.pad({ pads: [-2, -2] }), [1, 3]).info()).toThrow(ShapeError);
    expect(() => oneLayer(new CpuBackend(), layers.pad({ pads: [-3, 1], mode: 'reflect' }), [1, 3]).info()).toThrow("pad 'op': reflect padding of axis 1 needs values to repeat");
  });
});

describe('depthToSpace and spaceToDepth: the CPU reference against hand-computed values', () => {
  it('CRD (PyTorch PixelShuffle) and DCR (ONNX DepthToSpace) on (1, 8, 1, 1), and their inverses', async () => {
    const crd = await cpuRun(layers.pixelShuffle(2), [1, 8, 1, 1], arange(8));
    expect(crd.shape).toEqual([1, 2, 2, 2]);
    expect([...crd.y]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const dcr = await cpuRun(layers.depthToSpace(2), [1, 8, 1, 1], arange(8));
    expect([...dcr.y]).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    const back = await cpuRun(layers.spaceToDepth(2), [1, 2, 2, 2], dcr.y);
    expect([...back.y]).toEqual(arange(8));
    const unshuffled = await cpuRun(layers.pixelUnshuffle(2), [1, 2, 2, 2], crd.y);
    expect([...unshuffled.y]).toEqual(arange(8));
  });
  it('refuses channels that are not a multiple of b² and sizes not a multiple of b', () => {
    expect(() => oneLayer(new CpuBackend(), layers.pixelShuffle(2), [1, 6, 2, 2]).info()).toThrow("depthToSpace 'op': 6 channels are not a multiple of blockSize² = 4");
    expect(() => oneLayer(new CpuBackend(), layers.spaceToDepth(2), [1, 1, 3, 4]).info()).toThrow(ShapeError);
  });
});

describe('GPU equals CPU', () => {
  const rng = new Rng(61);
  const transforms = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'] as const;
  const nearest = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
  for (const mode of ['nearest', 'linear', 'cubic'] as const) {
    gpuIt(`resize ${mode}: every coordinate transform${mode === 'nearest' ? ' and rounding' : ''}, up and down, scales and sizes, 1 to 3 axes`, async (gpu) => {
      let i = 0;
      for (const coordinateTransform of transforms) {
        for (const round of mode === 'nearest' ? nearest : (['round_prefer_floor'] as const)) {
          const k = [2, 2, 1, 3][i++ % 4];
          const shape = [rng.int(2, 3), rng.int(1, 3), ...Array.from({ length: k }, () => rng.int(1, 9))];
          const bySizes = rng.next() < 0.5;
          const spatial = shape.slice(-k);
          const layer: ResizeLayer = {
            type: 'resize',
            mode,
            coordinateTransform,
            nearestMode: round,
            ...(bySizes ? { sizes: spatial.map(() => rng.int(1, 13)) } : { scales: spatial.map(() => rng.pick([0.5, 0.7, 1, 1.5, 2, 3])) }),
            ...(mode === 'cubic' && rng.next() < 0.5 ? { excludeOutside: true, cubicCoeffA: -0.5 } : {}),
            ...(coordinateTransform === 'tf_crop_and_resize' ? { roi: [...spatial.map(() => 0.2), ...spatial.map(() => 1.1)], extrapolationValue: -3 } : {}),
          };
          if (layer.scales && spatial.some((n, d) => Math.floor(n * layer.scales![d]) < 1)) continue;
          await gpuEqualsCpu(gpu, layer, shape, rng);
        }
      }
    });
  }
  gpuIt('upsampling2d nearest and bilinear on (3, 5, 7, 9)', async (gpu) => {
    for (const l of [layers.upsampling2d(), layers.upsampling2d({ scale: [3, 2], interpolation: 'bilinear' }), layers.upsampling2d({ size: [11, 4], interpolation: 'bilinear', alignCorners: true })]) {
      await gpuEqualsCpu(gpu, l, [3, 5, 7, 9], rng);
    }
  });
  gpuIt('pad: every mode, negative pads, any rank (1 to 5 padded axes)', async (gpu) => {
    for (const mode of ['constant', 'reflect', 'edge', 'wrap'] as const) {
      for (let c = 0; c < 6; c++) {
        const rank = rng.int(2, 5);
        const shape = [rng.int(2, 3), ...Array.from({ length: rank - 1 }, () => rng.int(2, 7))];
        const k = rng.int(1, rank);
        const spatial = shape.slice(-k);
        const pads = [...spatial.map((n) => rng.int(-1, mode === 'constant' || mode === 'edge' ? 3 : n - 2)), ...spatial.map((n) => rng.int(-1, mode === 'constant' || mode === 'edge' ? 3 : n - 2))];
        await gpuEqualsCpu(gpu, layers.pad({ pads, mode, value: mode === 'constant' ? rng.pick([0, 1.5]) : 0 }), shape, rng, EXACT);
      }
    }
  });
  gpuIt('depthToSpace and spaceToDepth, DCR and CRD, odd sizes', async (gpu) => {
    for (const mode of ['DCR', 'CRD'] as const) {
      for (const b of [2, 3]) {
        const s = await gpuEqualsCpu(gpu, layers.depthToSpace(b, mode), [2, 2 * b * b, 3, 5], rng, EXACT);
        expect(s).toEqual([2, 2, 3 * b, 5 * b]);
        await gpuEqualsCpu(gpu, layers.spaceToDepth(b, mode), [3, 3, 3 * b, b], rng, EXACT);
      }
    }
  });
});

describe('a zero pad before a convolution', () => {
  /** x → pad → conv (→ relu), or with reflect padding, which cannot fold. */
  function padConv(backend: Backend, pad: LayerConfig, fuse: boolean): Model {
    const x = input([3, 6, 7], 'x');
    const p = apply(pad, x, 'pad');
    const c = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: [1, 0] }), p, 'conv');
    const y = apply(layers.relu(), c, 'relu');
    return new Model({ inputs: x, outputs: y, name: 'pad_conv', backend, seed: 9, fuse });
  }
  const rng = new Rng(63);
  gpuIt('is folded into its padding at inference, with the output of the unfused graph', async (gpu) => {
    const x = rng.uniform(2 * 3 * 6 * 7, -1, 1);
    for (const [pad, folds] of [[layers.zeroPadding2d([[2, 0], [1, 3]]), true], [layers.pad({ pads: [0, 1, 2, 0, 0, 1] }), true], [layers.reflectionPadding2d(1), false], [layers.pad({ pads: [1, -1, 0, 0] }), false]] as const) {
      const fused = padConv(gpu, pad, true);
      const plain = padConv(new CpuBackend(), pad, false);
      expect(fused.fusions().includes('pad → conv'), JSON.stringify(pad)).toBe(folds);
      expect(plain.fusions()).toEqual([]);
      expectClose(await fused.predict(x, 2), await plain.predict(x, 2), CLOSE, JSON.stringify(pad));
      fused.dispose();
    }
  });
});

/** (N, 2, h, w) → conv 1×1 (tanh) → the op → flatten → dense(3): the op inside a trained network. */
function net(backend: Backend, op: LayerConfig, h: number, w: number, channels = 2): Model {
  const x = input([2, h, w], 'x');
  const c = apply(layers.conv2d({ filters: channels, kernelSize: 1, activation: 'tanh' }), x, 'conv');
  const t = apply(op, c, 'op');
  const f = apply(layers.flatten(), t, 'flat');
  const y = apply(layers.dense({ units: 3 }), f, 'fc');
  return new Model({ inputs: x, outputs: y, name: 'spatial_net', backend, seed: 5 });
}

const TRAINED: [string, LayerConfig, number, number, number?][] = [
  ['resize bilinear', layers.upsampling2d({ scale: [2, 3], interpolation: 'bilinear' }), 3, 4],
  ['resize cubic down', { type: 'resize', sizes: [2, 3], mode: 'cubic', excludeOutside: true }, 5, 4],
  ['resize nearest', layers.upsampling2d({ size: [5, 7] }), 3, 4],
  ['pad reflect', layers.reflectionPadding2d([2, 1, 0, 2]), 3, 4],
  ['pad edge with a crop', layers.pad({ pads: [-1, 2, 3, 0], mode: 'edge' }), 3, 4],
  ['pad constant', layers.pad({ pads: [1, 0, 2, 1], value: 0.5 }), 3, 4],
  ['pixelShuffle', layers.pixelShuffle(2), 3, 2, 8],
  ['spaceToDepth', layers.spaceToDepth(2), 4, 2],
];

describe('gradients', () => {
  const rng = new Rng(62);
  for (const [what, op, h, w, channels] of TRAINED) {
    const data = { images: rng.uniform(4 * 2 * h * w, -1, 1), labels: new Float32Array([0, 1, 2, 1]) };
    gpuIt(`${what}: two SGD steps on the GPU give the CPU weights`, async (gpu) => {
      const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
      const onGpu = net(gpu, op, h, w, channels);
      const onCpu = net(new CpuBackend(), op, h, w, channels);
      await fit(onGpu, data, opts);
      await fit(onCpu, data, opts);
      const want = onCpu.getWeights();
      for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, `${what} ${k}`);
      onGpu.dispose();
    });
    it(`${what}: the gradient through it equals finite differences (CPU)`, async () => {
      const backend = new CpuBackend();
      const model = net(backend, op, h, w, channels);
      const before = model.getWeights();
      await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      for (const key of ['conv.weight', 'conv.bias']) {
        const w0 = before.get(key)!;
        for (let i = 0; i < w0.length; i++) {
          const at = async (d: number) => {
            const m = net(backend, op, h, w, channels);
            const v = w0.slice();
            v[i] += d;
            m.setWeights(new Map(before).set(key, v));
            return (await evaluate(m, data)).loss;
          };
          const numeric = ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
          const analytic = w0[i] - after.get(key)![i];
          expect(Math.abs(analytic - numeric), `${what} ${key}[${i}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
        }
      }
    });
  }
});

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
const ONNX_TESTS = /^test_(resize_|upsample_|constant_pad|edge_pad|reflect_pad|depthtospace|spacetodepth)/;

function readPb(path: string) {
  return tensorFromProto(decodeTensor(new Uint8Array(readFileSync(path)), path), path);
}

describe("ONNX's node tests", () => {
  const names = existsSync(NODE_TESTS) ? readdirSync(NODE_TESTS).filter((n) => ONNX_TESTS.test(n)).sort() : [];
  it('are installed', () => expect(names.length).toBeGreaterThanOrEqual(30));
  for (const name of names) {
    gpuIt(`${name} on the GPU and the CPU`, async (gpu) => {
      const dir = join(NODE_TESTS, name);
      const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      const summary = inspectOnnx(bytes, name);
      const graphInputs = summary.inputs.filter((i) => !i.initializer).map((i) => i.name);
      const pbs = (kind: string) => readdirSync(join(dir, 'test_data_set_0')).filter((f) => f.startsWith(kind)).sort().map((f) => readPb(join(dir, 'test_data_set_0', f)));
      const inputs = pbs('input_');
      const [want] = pbs('output_');
      const constants: Record<string, OnnxConstant> = {};
      graphInputs.slice(1).forEach((n, i) => (constants[n] = { dims: inputs[i + 1].dims, data: inputs[i + 1].data }));
      const x = inputs[0];
      // test_edge_pad and test_reflect_pad pad int32 data: webcnn computes it as exact float32 values.
      const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data, Number);
      for (const backend of [gpu, new CpuBackend()]) {
        const model = importOnnx(bytes, { backend, label: name, constants, inputShapes: { [graphInputs[0]]: x.dims } });
        const y = await model.predict(data, x.dims[0]);
        expect(model.outputShapes(x.dims[0])[0]).toEqual(want.dims);
        expectClose(y, want.data, { atol: 1e-5, rtol: 1e-3 }, `${name} (${backend.name})`, want.dims);
        model.dispose();
      }
    });
  }
});

// PyTorch's own results, exported at test time (torch 1.13 under /usr/bin/python3), plus ONNX
// graphs written with onnx.helper for the forms PyTorch does not export (Upsample-7, Resize-10,
// Pad-2's attribute, keep_aspect_ratio_policy, opset 18's axes on Resize and Pad, float twins of ONNX's int32 edge and reflect
// tests) with NumPy's results or ONNX's reference (onnx.backend.test.case.node.resize). PyTorch 1.13 exports PixelUnshuffle as reshape → transpose → reshape.
const PYTORCH = String.raw`
import sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, onnx
from onnx import helper, TensorProto
out = sys.argv[1]
torch.manual_seed(0)
class Interp(nn.Module):
    def __init__(self, **kw):
        super().__init__(); self.kw = kw
    def forward(self, x):
        return F.interpolate(x, **self.kw)
cases = {
    'bilinear': (Interp(scale_factor=2, mode='bilinear', align_corners=False), (2, 3, 5, 7)),
    'bilinear_corners': (Interp(size=(9, 4), mode='bilinear', align_corners=True), (2, 3, 5, 7)),
    'nearest': (Interp(scale_factor=(2, 3), mode='nearest'), (2, 3, 5, 7)),
    'nearest_size': (Interp(size=(3, 11), mode='nearest'), (2, 3, 5, 7)),
    'reflect': (nn.ReflectionPad2d((1, 2, 3, 0)), (2, 3, 5, 7)),
    'replicate': (nn.ReplicationPad2d((2, 0, 1, 3)), (2, 3, 5, 7)),
    'bicubic': (Interp(scale_factor=2, mode='bicubic', align_corners=False), (2, 3, 5, 7)),
    'shuffle': (nn.PixelShuffle(2), (2, 8, 3, 5)),
    'unshuffle': (nn.PixelUnshuffle(2), (2, 3, 4, 6)),
}
for name, (m, shape) in cases.items():
    x = torch.randn(*shape)
    with torch.no_grad():
        y = m(x)
    dynamic = {'x': {0: 'batch'}, 'y': {0: 'batch'}} if name.startswith('bilinear') else None
    torch.onnx.export(m, x, f'{out}/{name}.onnx', opset_version=13 if name != 'nearest' else 11, input_names=['x'], output_names=['y'], dynamic_axes=dynamic)
    np.save(f'{out}/{name}.input.npy', x.numpy()); np.save(f'{out}/{name}.output.npy', y.numpy())
def save(name, node, inits, opset, x, y):
    g = helper.make_graph([node], name, [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, list(y.shape))], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)]), f'{out}/{name}.onnx')
    np.save(f'{out}/{name}.input.npy', x.astype(np.float32)); np.save(f'{out}/{name}.output.npy', y.astype(np.float32))
x = np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32)
save('upsample7', helper.make_node('Upsample', ['x'], ['y'], mode='nearest', scales=[1.0, 1.0, 2.0, 3.0]), [], 7, x, x.repeat(2, 2).repeat(3, 3))
save('resize18_axes', helper.make_node('Resize', ['x', '', 'scales'], ['y'], mode='nearest', axes=[3, 2]),
     [helper.make_tensor('scales', TensorProto.FLOAT, [2], [3.0, 2.0])], 18, x, x.repeat(2, 2).repeat(3, 3))
for mode in ['edge', 'reflect']:
    pads = [0, 0, 1, 3, 0, 1, 2, 0]
    want = np.pad(x, [(pads[i], pads[4 + i]) for i in range(4)], mode=mode)
    save(f'{mode}_pad', helper.make_node('Pad', ['x', 'pads'], ['y'], mode=mode), [helper.make_tensor('pads', TensorProto.INT64, [8], pads)], 11, x, want)
save('edge_pad2', helper.make_node('Pad', ['x'], ['y'], mode='edge', pads=[0, 0, 2, 1, 0, 0, 0, 2]), [], 7, x, np.pad(x, [(0, 0), (0, 0), (2, 0), (1, 2)], mode='edge'))
from onnx.backend.test.case.node.resize import interpolate_nd, linear_coeffs, cubic_coeffs
save('resize10_nearest', helper.make_node('Resize', ['x', 'scales'], ['y'], mode='nearest'),
     [helper.make_tensor('scales', TensorProto.FLOAT, [4], [1.0, 1.0, 2.0, 3.0])], 10, x, x.repeat(2, 2).repeat(3, 3))
scales = np.array([1.0, 1.0, 2.0, 2.5], dtype=np.float32)
save('resize10_linear', helper.make_node('Resize', ['x', 'scales'], ['y'], mode='linear'), [helper.make_tensor('scales', TensorProto.FLOAT, [4], scales)], 10, x,
     interpolate_nd(x, linear_coeffs, scale_factors=scales, coordinate_transformation_mode='asymmetric'))
save('resize18_not_larger', helper.make_node('Resize', ['x', '', '', 'sizes'], ['y'], mode='cubic', axes=[2, 3], keep_aspect_ratio_policy='not_larger'),
     [helper.make_tensor('sizes', TensorProto.INT64, [2], [7, 20])], 18, x,
     interpolate_nd(x, cubic_coeffs, output_size=[2, 3, 7, 9]))
save('pad18_axes', helper.make_node('Pad', ['x', 'pads', 'value', 'axes'], ['y'], mode='constant'),
     [helper.make_tensor('pads', TensorProto.INT64, [4], [1, 0, 2, -1]), helper.make_tensor('value', TensorProto.FLOAT, [], [2.5]),
      helper.make_tensor('axes', TensorProto.INT64, [2], [-1, 1])], 18, x,
     np.pad(x[:, 0:2], ((0, 0), (0, 0), (0, 0), (1, 2)), constant_values=2.5))
`;

describe('PyTorch exports', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webcnn-spatial-'));
    execFileSync('/usr/bin/python3', ['-c', PYTORCH, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  }, 120_000);
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  for (const [name, layerType] of [
    ['bilinear', 'resize'], ['bilinear_corners', 'resize'], ['nearest', 'resize'], ['nearest_size', 'resize'], ['reflect', 'pad'], ['replicate', 'pad'], ['bicubic', 'resize'],
    ['edge_pad', 'pad'], ['reflect_pad', 'pad'], ['edge_pad2', 'pad'], ['shuffle', 'depthToSpace'], ['unshuffle', 'transpose'], ['upsample7', 'resize'], ['resize18_axes', 'resize'], ['resize10_nearest', 'resize'], ['resize10_linear', 'resize'], ['resize18_not_larger', 'resize'], ['pad18_axes', 'pad'],
  ] as const) {
    gpuIt(`${name} equals PyTorch (or NumPy) on the GPU and the CPU`, async (gpu) => {
      const x = readNpy(read(`${name}.input.npy`), name);
      const y = readNpy(read(`${name}.output.npy`), name);
      for (const backend of [gpu, new CpuBackend()]) {
        const model = await loadOnnx(read(`${name}.onnx`), { backend, label: name });
        expect(model.graph.nodes.map((n) => n.layer.type)).toContain(layerType);
        expect(model.outputShapes(x.shape[0])[0]).toEqual(y.shape);
        expectClose(await model.predict(x.data as Float32Array, x.shape[0]), y.data as Float32Array, { atol: 1e-5, rtol: 1e-3 }, `${name} (${backend.name})`);
        model.dispose();
      }
    });
  }
});
