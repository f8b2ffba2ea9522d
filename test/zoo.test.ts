// Model zoo: every architecture builds with its published parameter count, torchvision's
// parameter names and the right output shape (meta backend, no GPU); LeNet-5 is the 1998 net
// layer by layer; and small-input versions of every architecture give the same forward pass
// on WebGPU (one submit, reused activation memory) as on the CPU reference.
import { describe, it, expect } from 'vitest';
import {
  createModel, ZOO, ZOO_NAMES, LENET5_DIGITS, LENET5_C3_TABLE, CpuBackend, InvalidArgumentError, ShapeError,
  type Model, type ZooName, type ZooOptions, type WebGpuBackend,
} from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { expectClose, type Tolerance } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Batch-norm channels, by hand from each architecture's layout: every batch norm holds a
// running mean and a running variance per channel, buffers that PyTorch's `parameters()` (and
// so the published counts) leave out but the model stores and loads with the weights.
const RESNET18_BN = 64 + 2 * 2 * 64 + (2 * 2 * 128 + 128) + (2 * 2 * 256 + 256) + (2 * 2 * 512 + 512);
const RESNET34_BN = 64 + 3 * 2 * 64 + (4 * 2 * 128 + 128) + (6 * 2 * 256 + 256) + (3 * 2 * 512 + 512);
// Bottleneck of width w: w + w + 4w; the first block of each stage adds a 4w downsample.
const RESNET50_BN = 64 + (3 * 6 * 64 + 256) + (4 * 6 * 128 + 512) + (6 * 6 * 256 + 1024) + (3 * 6 * 512 + 2048);
// stem conv1/conv2/conv3, then each Inception block's six BasicConv2d.
const GOOGLENET_BN = 64 + 64 + 192 + sum([
  [64, 96, 128, 16, 32, 32], [128, 128, 192, 32, 96, 64], [192, 96, 208, 16, 48, 64], [160, 112, 224, 24, 64, 64],
  [128, 128, 256, 24, 64, 64], [112, 144, 288, 32, 64, 64], [256, 160, 320, 32, 128, 128], [256, 160, 320, 32, 128, 128],
  [384, 192, 384, 48, 128, 128],
].map(sum));

/**
 * Published counts: torchvision's `sum(p.numel() for p in model.parameters())`, the papers'
 * for LeNet-5 (60,000 trainable + the 840 fixed RBF centres); buffers: running statistics.
 */
const EXPECTED: Record<ZooName, { total: number; fixed: number; buffers: number; classes: number; output?: number[] }> = {
  lenet5: { total: 60_840, fixed: 840, buffers: 0, classes: 10 },
  lenet: { total: 61_706, fixed: 0, buffers: 0, classes: 10 },
  alexnet: { total: 61_100_840, fixed: 0, buffers: 0, classes: 1000 },
  vgg16: { total: 138_357_544, fixed: 0, buffers: 0, classes: 1000 },
  googlenet: { total: 6_624_904, fixed: 0, buffers: 2 * GOOGLENET_BN, classes: 1000 },
  resnet18: { total: 11_689_512, fixed: 0, buffers: 2 * RESNET18_BN, classes: 1000 },
  resnet34: { total: 21_797_672, fixed: 0, buffers: 2 * RESNET34_BN, classes: 1000 },
  resnet50: { total: 25_557_032, fixed: 0, buffers: 2 * RESNET50_BN, classes: 1000 },
  // Buffers: torchvision's running_mean and running_var sizes, summed over its state_dict
  // (test/zoo_pytorch.test.ts checks every key and shape against torchvision itself).
  mobilenet_v2: { total: 3_504_872, fixed: 0, buffers: 34_112, classes: 1000 },
  mobilenet_v3_small: { total: 2_542_856, fixed: 0, buffers: 12_112, classes: 1000 },
  mobilenet_v3_large: { total: 5_483_032, fixed: 0, buffers: 24_400, classes: 1000 },
  // Width 16, depth 4: the reference module in scripts/zoo_reference.py (zoo_pytorch.test.ts);
  // two batch norms per double conv: inc, down1-4, up4-1 at 16, 32, 64, 128, 256, 128, 64, 32, 16.
  unet: { total: 1_942_594, fixed: 0, buffers: 2 * 2 * (16 + 32 + 64 + 128 + 256 + 128 + 64 + 32 + 16), classes: 2, output: [1, 2, 64, 64] },
};

describe('zoo architectures (meta backend, no GPU)', () => {
  it.each(ZOO_NAMES)('%s: published parameter count and output shape at the default input size', (name) => {
    const model = createModel(name);
    const info = model.info(1);
    const want = EXPECTED[name];
    expect(info.totalParams).toBe(want.total);
    expect(info.trainableParams).toBe(want.total - want.fixed);
    expect(info.bufferValues).toBe(want.buffers);
    expect(info.outputShapes).toEqual([want.output ?? [1, want.classes]]);
    expect(model.graph.inputs[0].shape).toEqual(['N', ZOO[name].inputChannels, ZOO[name].defaultInputSize, ZOO[name].defaultInputSize]);
    expect(ZOO[name].name).toBe(name);
    expect(model.name).toBe(name);
    const mem = model.memoryPlan(1);
    expect(mem.peakBytes).toBeLessThan(mem.naiveBytes);
  });

  it('batch-norm channel counts (the running-statistics buffers above)', () => {
    expect([RESNET18_BN, RESNET34_BN, RESNET50_BN, GOOGLENET_BN]).toEqual([4800, 8512, 26560, 7280]);
  });

  it('alexnet: the two-GPU grouped conv2/4/5 and LRN', () => {
    // Groups of 2 halve the input channels each filter reads:
    // conv2 192·(64-32)·5·5, conv4 256·(384-192)·3·3, conv5 256·(256-128)·3·3 fewer weights.
    const saved = 192 * 32 * 25 + 256 * 192 * 9 + 256 * 128 * 9;
    expect(saved).toBe(890_880);
    const grouped = createModel('alexnet', { groupedConvs: true });
    expect(grouped.totalParams).toBe(61_100_840 - saved);
    expect(grouped.parameterShapes().get('features.8.weight')).toEqual([256, 192, 3, 3]);
    const types = (m: Model) => m.info(1).nodes.map((n) => n.type);
    expect(types(createModel('alexnet')).filter((t) => t === 'lrn')).toHaveLength(2);
    expect(types(createModel('alexnet', { lrn: false }))).not.toContain('lrn');
    expect(createModel('alexnet', { lrn: false }).totalParams).toBe(61_100_840);
  });

  it('torchvision parameter names and shapes', () => {
    const shapes = (name: ZooName) => createModel(name).parameterShapes();
    const alex = shapes('alexnet');
    expect([...alex.keys()].filter((k) => k.endsWith('.weight'))).toEqual(
      ['features.0', 'features.3', 'features.6', 'features.8', 'features.10', 'classifier.1', 'classifier.4', 'classifier.6'].map((k) => `${k}.weight`),
    );
    expect(alex.get('classifier.1.weight')).toEqual([4096, 9216]);
    const vgg = shapes('vgg16');
    expect([...vgg.keys()].filter((k) => k.endsWith('.weight'))).toEqual(
      [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28].map((i) => `features.${i}.weight`).concat(['classifier.0.weight', 'classifier.3.weight', 'classifier.6.weight']),
    );
    expect(vgg.get('classifier.0.weight')).toEqual([4096, 25088]);
    // torchvision's resnet18 has 62 parameter tensors and 40 running-statistics buffers (20 batch norms).
    const r18 = shapes('resnet18');
    expect(r18.size).toBe(62 + 40);
    expect(r18.get('layer2.0.downsample.0.weight')).toEqual([128, 64, 1, 1]);
    expect(r18.get('layer2.0.downsample.1.running_var')).toEqual([128]);
    expect(r18.has('layer1.0.downsample.0.weight')).toBe(false);
    expect(r18.has('layer1.0.conv1.bias')).toBe(false);
    expect(r18.get('fc.weight')).toEqual([1000, 512]);
    const r50 = createModel('resnet50');
    const r50shapes = r50.parameterShapes();
    expect(r50shapes.get('layer1.0.downsample.0.weight')).toEqual([256, 64, 1, 1]);
    expect(r50shapes.get('layer4.2.conv3.weight')).toEqual([2048, 512, 1, 1]);
    // v1.5: the stride is on the 3×3 convolution, not the first 1×1.
    const out = (n: string) => r50.info(1).nodes.find((x) => x.name === n)!.outputShape;
    expect(out('layer2.0.conv1')).toEqual([1, 128, 56, 56]);
    expect(out('layer2.0.conv2')).toEqual([1, 128, 28, 28]);
    // torchvision's googlenet: 57 BasicConv2d (conv weight + bn weight/bias) + fc weight/bias.
    const g = shapes('googlenet');
    expect(g.size).toBe(57 * 3 + 2 + 57 * 2);
    expect(g.get('conv1.conv.weight')).toEqual([64, 3, 7, 7]);
    expect(g.get('inception3a.branch3.1.conv.weight')).toEqual([32, 16, 3, 3]); // 3×3, as torchvision
    expect(g.get('inception4e.branch4.1.conv.weight')).toEqual([128, 528, 1, 1]);
    expect(g.get('inception5b.branch2.1.bn.running_mean')).toEqual([384]);
    expect(g.get('fc.weight')).toEqual([1000, 1024]);
  });

  it('lenet5: the 1998 layers, connection table and fixed digit centres', () => {
    const model = createModel('lenet5');
    const info = model.info(1);
    const withParams = info.nodes.filter((n) => n.paramCount > 0);
    expect(withParams.map((n) => [n.name, n.paramCount])).toEqual([
      ['c1', 156], ['s2', 12], ['c3', 1516], ['s4', 32], ['c5', 48120], ['f6', 10164], ['output', 840],
    ]);
    expect(info.nodes.map((n) => n.outputShape)).toEqual([
      [1, 6, 28, 28], [1, 6, 14, 14], [1, 16, 10, 10], [1, 16, 5, 5], [1, 120, 1, 1], [1, 120], [1, 84], [1, 10],
    ]);
    // Table I: 60 connections; maps 0-5 read 3 adjacent maps, 6-11 four adjacent, 12-14 four non-adjacent, 15 all.
    expect(LENET5_C3_TABLE.map((r) => r.length)).toEqual([3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6]);
    expect(LENET5_C3_TABLE[4]).toEqual([0, 4, 5]);
    expect(LENET5_C3_TABLE[9]).toEqual([0, 3, 4, 5]);
    expect(LENET5_C3_TABLE.slice(12, 15)).toEqual([[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5]]);
    expect(model.parameterShapes().get('c3.weight')).toEqual([60, 5, 5]);

    expect(LENET5_DIGITS).toHaveLength(10);
    for (const rows of LENET5_DIGITS) {
      expect(rows).toHaveLength(12);
      for (const row of rows) expect(row).toMatch(/^[#.]{7}$/);
    }
    const centres = model.getWeights().get('output.weight')!;
    expect(centres).toHaveLength(840);
    expect(centres.every((v) => v === 1 || v === -1)).toBe(true);
    expect(Array.from(centres.subarray(7 * 1 + 0, 7 * 1 + 7))).toEqual([-1, -1, 1, 1, 1, -1, -1]); // digit 0, row 1: '..###..'
    const codes = new Set(Array.from({ length: 10 }, (_, d) => centres.subarray(d * 84, d * 84 + 84).join(',')));
    expect(codes.size).toBe(10);
    // Seeds change the learned weights, never the centres.
    expect(createModel('lenet5', { seed: 9 }).getWeights().get('output.weight')).toEqual(centres);
    expect(model.info(1).nodes.find((n) => n.name === 'output')!.params[0].trainable).toBe(false);
  });

  it('lenet: both variants have 61,706 parameters; activation and pooling are honoured', () => {
    for (const [activation, pooling] of [['relu', 'max'], ['sigmoid', 'avg']] as const) {
      const model = createModel('lenet', { activation, pooling });
      expect(model.totalParams).toBe(61_706);
      const nodes = model.graph.nodes;
      expect(nodes.filter((n) => n.layer.type === 'activation').map((n) => (n.layer as { activation: string }).activation)).toEqual(Array(4).fill(activation));
      expect(nodes.filter((n) => n.layer.type === 'pool2d').map((n) => (n.layer as { pool: string }).pool)).toEqual([pooling, pooling]);
    }
    expect(createModel('lenet', { numClasses: 26 }).outputShapes(3)).toEqual([[3, 26]]);
  });

  it('seeded weights are deterministic', () => {
    for (const name of ['lenet5', 'googlenet'] as const) {
      const a = createModel(name, { seed: 42 }).getWeights();
      const b = createModel(name, { seed: 42 }).getWeights();
      const c = createModel(name, { seed: 43 }).getWeights();
      expect([...a.keys()]).toEqual([...b.keys()]);
      // (vitest's deep equality is slow on millions of values)
      expect([...a.entries()].filter(([k, v]) => !sameValues(v, b.get(k)!)).map(([k]) => k)).toEqual([]);
      const first = name === 'lenet5' ? 'c1.weight' : 'conv1.conv.weight';
      expect(sameValues(c.get(first)!, a.get(first)!)).toBe(false);
    }
  });

  it('rejects unknown names, bad options and inputs too small for the architecture', () => {
    expect(() => createModel('resnet101' as ZooName)).toThrow(InvalidArgumentError);
    expect(() => createModel('resnet101' as ZooName)).toThrow(
      'createModel: unknown model "resnet101"; the zoo has lenet5, lenet, alexnet, vgg16, googlenet, resnet18, resnet34, resnet50, ' +
        'mobilenet_v2, mobilenet_v3_small, mobilenet_v3_large, unet',
    );
    expect(() => createModel('vgg16', { groupedConvs: true })).toThrow("createModel 'vgg16': option 'groupedConvs' applies to alexnet only");
    expect(() => createModel('resnet18', { classifierHidden: 64 })).toThrow("option 'classifierHidden' applies to alexnet and vgg16 only");
    expect(() => createModel('lenet', { activation: 'tanh' as 'relu' })).toThrow(`activation must be 'relu' or 'sigmoid', got "tanh"`);
    expect(() => createModel('resnet18', { inputSize: 0 })).toThrow("createModel 'resnet18': inputSize must be a positive integer, got 0");
    expect(() => createModel('googlenet', { numClasses: 2.5 })).toThrow('numClasses must be a positive integer, got 2.5');
    expect(() => createModel('lenet5', { numClasses: 26 })).toThrow(/numClasses must be 10/);
    // 63 is the smallest input that survives AlexNet's three 3/2 max pools: at 62, the last sees 2×2.
    expect(() => createModel('alexnet', { inputSize: 62 })).toThrow(ShapeError);
    expect(() => createModel('alexnet', { inputSize: 62 })).toThrow(/pool2d 'features\.12': window 3 is larger than the padded input 2/);
    expect(createModel('alexnet', { inputSize: 63 }).outputShapes(1)).toEqual([[1, 1000]]);
    // unet: the input must halve cleanly at every level; width and depth are its own options.
    expect(() => createModel('unet', { inputSize: 60 })).toThrow("createModel 'unet': inputSize must be a multiple of 2^depth = 16 (each of the 4 levels halves it), got 60");
    expect(createModel('unet', { inputSize: 24, depth: 3, width: 4, numClasses: 5 }).outputShapes(2)).toEqual([[2, 5, 24, 24]]);
    expect(() => createModel('resnet18', { depth: 3 })).toThrow("createModel 'resnet18': option 'depth' applies to unet only");
    expect(() => createModel('unet', { width: 0 })).toThrow("createModel 'unet': width must be a positive integer, got 0");
  });
});

/**
 * Makes random weights exercise every layer: rescales conv and dense weights by √6 (He's gain
 * for ReLU, so activations neither vanish nor become bias-dominated with depth) and gives
 * every batch norm non-trivial statistics, so that folding it into the convolution matters.
 */
const BN_RANGES: Record<string, readonly [number, number]> = {
  weight: [0.5, 1.5], bias: [-0.2, 0.2], running_mean: [-0.2, 0.2], running_var: [0.5, 1.5],
};

function liven(model: Model, rng: Rng): Map<string, Float32Array> {
  const shapes = model.parameterShapes();
  const weights = model.getWeights();
  const bn = new Set(model.info(1).nodes.filter((n) => n.type === 'batchNorm').map((n) => n.name));
  for (const [key, v] of weights) {
    const layer = key.slice(0, key.lastIndexOf('.'));
    const param = key.slice(key.lastIndexOf('.') + 1);
    if (bn.has(layer)) {
      const range = BN_RANGES[param];
      v.set(rng.uniform(v.length, range[0], range[1]));
    } else if (param === 'weight' && shapes.get(key)!.length >= 2) {
      for (let i = 0; i < v.length; i++) v[i] *= Math.sqrt(6);
    }
  }
  return weights;
}

/**
 * The same model on WebGPU and on the CPU reference (there without fusion, so the comparison
 * also covers batch-norm folding and activation fusion): same outputs within `tol`, one
 * submit per predict, and activation memory reused.
 */
async function gpuMatchesCpu(gpu: WebGpuBackend, name: ZooName, options: ZooOptions, batch: number, tol: Tolerance, live = true): Promise<Float32Array> {
  const rng = new Rng(1234);
  const onGpu = createModel(name, { ...options, backend: gpu, seed: 7 });
  const onCpu = createModel(name, { ...options, backend: new CpuBackend(), seed: 7, fuse: false });
  if (live) {
    const w = liven(onGpu, rng);
    onGpu.setWeights(w);
    onCpu.setWeights(w);
  }
  const [, c, h, w] = onGpu.info(1).inputShapes[0];
  const classes = onGpu.outputShapes(batch)[0][1];
  const x = rng.uniform(batch * c * h * w, -1, 1);
  const ref = await onCpu.predict(x);
  const before = gpu.submitCount;
  const got = await onGpu.predict(x);
  expect(gpu.submitCount - before, 'submits per predict').toBe(1);
  expect(got).toHaveLength(batch * classes);
  expectClose(got, ref, tol, name, [batch, classes]);
  // The comparison means something only if the outputs are not all near zero.
  expect(Math.max(...Array.from(ref, Math.abs)), 'output scale').toBeGreaterThan(0.05);
  const mem = onGpu.memoryPlan(1);
  expect(mem.peakBytes).toBeLessThan(mem.naiveBytes);
  const planned = (await onGpu.plan(batch)).memory;
  expect(planned.peakBytes).toBeLessThan(planned.naiveBytes);
  onGpu.dispose();
  onCpu.dispose();
  return ref;
}

describe('zoo forward passes: WebGPU vs the CPU reference', () => {
  // float32 on the GPU against the float64 reference; measured worst relative errors are
  // ~4e-7 (LeNet-5), ~4e-6 (LeNet) and 2e-6 to 5e-5 for the deep nets.
  const tol: Tolerance = { atol: 1e-4, rtol: 5e-4 };

  gpuIt('lenet5 batch 2: RBF distances agree and lie within the possible range', async (gpu) => {
    // Untouched lecun98 init: scaled tanh keeps F6 in ±1.7159, so each distance to a ±1
    // centre is at most 84·2.7159².
    const ref = await gpuMatchesCpu(gpu, 'lenet5', {}, 2, { atol: 1e-4, rtol: 1e-5 }, false);
    expect(ref.every((d) => d >= 0 && d <= 84 * 2.7159 ** 2)).toBe(true);
  });

  gpuIt('lenet relu/max batch 2', async (gpu) => {
    await gpuMatchesCpu(gpu, 'lenet', { activation: 'relu', pooling: 'max' }, 2, { atol: 1e-5, rtol: 1e-4 });
  });

  gpuIt('lenet sigmoid/avg batch 2', async (gpu) => {
    await gpuMatchesCpu(gpu, 'lenet', { activation: 'sigmoid', pooling: 'avg' }, 2, { atol: 1e-5, rtol: 1e-4 });
  });

  gpuIt('alexnet 63×63 (LRN, grouped convs, hidden 64, 10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'alexnet', { inputSize: 63, numClasses: 10, classifierHidden: 64, groupedConvs: true }, 1, tol);
  });

  gpuIt('alexnet 63×63 (torchvision layout: no LRN, no groups; hidden 64, 10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'alexnet', { inputSize: 63, numClasses: 10, classifierHidden: 64, lrn: false }, 1, tol);
  });

  gpuIt('vgg16 32×32 (hidden 64, 10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'vgg16', { inputSize: 32, numClasses: 10, classifierHidden: 64 }, 1, tol);
  });

  gpuIt('googlenet 48×48 (ceil-mode pools, 10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'googlenet', { inputSize: 48, numClasses: 10 }, 1, tol);
  });

  gpuIt('resnet18 64×64 (10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'resnet18', { inputSize: 64, numClasses: 10 }, 1, tol);
  });

  gpuIt('resnet50 32×32 (10 classes)', async (gpu) => {
    await gpuMatchesCpu(gpu, 'resnet50', { inputSize: 32, numClasses: 10 }, 1, tol);
  });
});
