// Reductions: every kind over many axis sets of ranks 1 to 5 (odd sizes, batch > 1, non-trailing
// and non-contiguous axes, keepDims both ways), GPU vs the CPU reference, forward and backward;
// the CPU reference against plain loops and its gradient against finite differences (ties of
// max/min and zeros of prod by hand); argMax/argMin with ties both ways; a reduction trained
// GPU = CPU; fit refusing argMax; grids folded into y under a lowered workgroup limit; and ONNX's
// Reduce*/ArgMax/ArgMin node tests through loadOnnx.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { Model, Sequential, input, apply, layers, CpuBackend, CpuTensor, WebGpuBackend, ShapeError, type Backend, type Tensor, type ReduceKind, type TrainingBackend, type LayerConfig } from 'webcnn';
import { fit } from 'webcnn/train';
import { opOf } from '../src/ops/registry.js';
import { gpuIt, compareWithCpu, cpu, inErrorScopes } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';
import { NODE_TESTS, runNodeTests } from './helpers/onnx_node.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const KINDS: ReduceKind[] = ['sum', 'mean', 'max', 'min', 'prod', 'l1', 'l2', 'sumSquare', 'logSum', 'logSumExp'];

/** Inputs each kind is defined and well conditioned on: positive sums for logSum, factors near 1 for prod. */
function inputFor(rng: Rng, kind: ReduceKind, n: number): Float32Array {
  if (kind === 'logSum') return rng.uniform(n, 0.2, 2);
  if (kind === 'prod') return rng.uniform(n, 0.7, 1.3);
  return rng.uniform(n, -2, 2);
}

const forward = (b: Backend, layer: LayerConfig, x: Tensor): Tensor => opOf(layer).forward(b, { layer, name: 'r', inputs: [x], params: [] });

function backward(b: TrainingBackend, layer: LayerConfig, x: Tensor, dy: Tensor): Tensor {
  const def = opOf(layer);
  const output = forward(b, layer, x);
  return def.backward!(b, { layer, name: 'r', inputs: [x], params: [], output, saved: {}, dy, needInput: [true] }).inputs![0]!;
}

const CASES: { shape: number[]; axes?: number[] }[] = [
  { shape: [7], axes: [0] },
  { shape: [300] },
  { shape: [3, 5], axes: [1] },
  { shape: [3, 5], axes: [0] },
  { shape: [2, 3, 5], axes: [0, 2] },
  { shape: [2, 3, 5], axes: [-1] },
  { shape: [2, 3, 5], axes: [] },
  { shape: [2, 3, 5, 7], axes: [2, 3] },
  { shape: [2, 3, 5, 7], axes: [1] },
  { shape: [3, 4, 3, 2, 5], axes: [1, 3] },
  { shape: [3, 4, 3, 2, 5], axes: [0, 2, 4] },
  { shape: [2, 1, 65, 3], axes: [2] },
];

describe('reduce: GPU equals CPU', () => {
  const rng = new Rng(31);
  CASES.forEach(({ shape, axes }, k) => {
    const keepDims = k % 2 === 0;
    gpuIt(`${JSON.stringify(shape)} over ${axes ? JSON.stringify(axes) : 'all axes'}, keepDims ${keepDims}: every kind, forward and backward`, async (gpu) => {
      for (const kind of KINDS) {
        const layer: LayerConfig = { type: 'reduce', op: kind, axes, keepDims };
        const x = inputFor(rng, kind, numel(shape));
        const tol = { atol: 1e-5, rtol: kind === 'prod' ? 1e-4 : 2e-5 };
        const { shape: outShape } = await compareWithCpu(gpu, (b, t) => forward(b, layer, t(x, shape)), tol, `${kind} forward`);
        const dy = rng.uniform(numel(outShape), -1, 1);
        await compareWithCpu(gpu, (b, t) => backward(b as TrainingBackend, layer, t(x, shape), t(dy, outShape)), { atol: 1e-5, rtol: 1e-4 }, `${kind} backward`);
      }
    });
  });

  it('more outputs than the workgroups of a dispatch dimension (lowered to 8): the grid folds into y', async () => {
    const be = await WebGpuBackend.create({ limitOverrides: { maxComputeWorkgroupsPerDimension: 8 } });
    try {
      const shape = [5, 11, 3];
      const x = rng.uniform(numel(shape), -1, 1);
      await inErrorScopes(be, async () => {
        for (const layer of [{ type: 'reduce', op: 'sum', axes: [2] }, { type: 'argReduce', op: 'max', axis: 1 }] as LayerConfig[]) {
          await compareWithCpu(be, (b, t) => forward(b, layer, t(x, shape)), { atol: 1e-5, rtol: 1e-5 }, layer.type);
        }
        const layer: LayerConfig = { type: 'reduce', op: 'max', axes: [2] };
        const dy = rng.uniform(55);
        await compareWithCpu(be, (b, t) => backward(b as TrainingBackend, layer, t(x, shape), t(dy, [5, 11])), { atol: 1e-6, rtol: 1e-6 }, 'max backward');
      });
    } finally {
      be.dispose();
    }
  });

  gpuIt('max and min ties share dy, and prod with zeros, on the GPU as on the CPU', async (gpu) => {
    const x = [3, 1, 3, 0, 0, 2, 5, 0, 4, 2, 2, 1];
    for (const kind of ['max', 'min', 'prod'] as const) {
      const layer: LayerConfig = { type: 'reduce', op: kind, axes: [1], keepDims: false };
      await compareWithCpu(gpu, (b, t) => backward(b as TrainingBackend, layer, t(x, [4, 3]), t([1, 2, 3, 4], [4])), { atol: 1e-6, rtol: 1e-6 }, kind);
    }
  });

  // Regression: the max pass once folded exp(v) instead of v, which is harmless for small v
  // (log-sum-exp is shift-invariant) but underflows every exp(v − shift) for large ones.
  gpuIt('logSumExp of large values is max + log Σ exp(x − max), forward and backward, on both backends', async (gpu) => {
    const rows = [[5, 20], [30, 40], [55, 60], [1000, 999], [-1000, -1001], [88, 89], [-3, 700], [0, 0]];
    const x = rows.flat();
    const want = rows.map(([a, b]) => Math.max(a, b) + Math.log(Math.exp(a - Math.max(a, b)) + Math.exp(b - Math.max(a, b))));
    const layer: LayerConfig = { type: 'reduce', op: 'logSumExp', axes: [1] };
    for (const b of [cpu, gpu] as Backend[]) {
      const y = await forward(b, layer, b.tensor(Float32Array.from(x), [rows.length, 2])).read();
      expectClose(y, want, { atol: 1e-4, rtol: 1e-6 }, `${b.name} forward`);
    }
    const big = new Rng(5).uniform(3 * 77, -300, 300);
    await compareWithCpu(gpu, (b, t) => forward(b, layer, t(big, [3, 77])), { atol: 1e-4, rtol: 1e-6 }, 'uniform in ±300');
    await compareWithCpu(gpu, (b, t) => backward(b as TrainingBackend, layer, t(x, [rows.length, 2]), t(rows.map((_, i) => i + 1), [rows.length])), { atol: 1e-5, rtol: 1e-4 }, 'backward');
  });
});

describe('reduce: the CPU reference', () => {
  it('equals plain loops: mean over axes 0 and 2 of a (2, 3, 4) tensor, keepDims', async () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const y = await forward(cpu, { type: 'reduce', op: 'mean', axes: [0, 2], keepDims: true }, cpu.tensor(x, [2, 3, 4])).read();
    const want = [0, 1, 2].map((c) => [0, 1].flatMap((n) => [0, 1, 2, 3].map((w) => x[n * 12 + c * 4 + w])).reduce((a, b) => a + b) / 8);
    expect([...y]).toEqual(want);
    expect(forward(cpu, { type: 'reduce', op: 'mean', axes: [0, 2], keepDims: true }, cpu.tensor(x, [2, 3, 4])).shape).toEqual([1, 3, 1]);
  });

  it('every kind on one row by hand', async () => {
    const x = [1, -2, 3, 0.5];
    const want: Record<ReduceKind, number> = {
      sum: 2.5, mean: 0.625, max: 3, min: -2, prod: -3, l1: 6.5, l2: Math.sqrt(14.25), sumSquare: 14.25, logSum: Math.log(2.5),
      logSumExp: Math.log(Math.exp(1) + Math.exp(-2) + Math.exp(3) + Math.exp(0.5)),
    };
    for (const kind of KINDS) {
      const y = await forward(cpu, { type: 'reduce', op: kind }, cpu.tensor(x, [4])).read();
      expect(y[0], kind).toBeCloseTo(want[kind], 5);
    }
  });

  it('ties of max share dy equally; prod with one zero passes the others\' product to it, with two passes nothing', async () => {
    const dx = await backward(cpu, { type: 'reduce', op: 'max', axes: [1] }, cpu.tensor([3, 1, 3, 2, 5, 5], [2, 3]), cpu.tensor([1, 4], [2])).read();
    expect([...dx]).toEqual([0.5, 0, 0.5, 0, 2, 2]);
    const dp = await backward(cpu, { type: 'reduce', op: 'prod', axes: [1] }, cpu.tensor([2, 0, 3, 0, 5, 0], [2, 3]), cpu.tensor([1, 1], [2])).read();
    expect([...dp]).toEqual([0, 6, 0, 0, 0, 0]);
  });

  const rng = new Rng(32);
  for (const kind of KINDS) {
    it(`${kind}: the gradient equals finite differences`, async () => {
      const shape = [2, 3, 4];
      const layer: LayerConfig = { type: 'reduce', op: kind, axes: [0, 2], keepDims: false };
      const x = inputFor(rng, kind, numel(shape));
      const r = rng.uniform(3, -1, 1);
      const lossOf = (v: Float32Array) => project((forward(cpu, layer, cpu.tensor(v, shape)) as CpuTensor).data, r);
      const dx = await backward(cpu, layer, cpu.tensor(x, shape), cpu.tensor(r, [3])).read();
      expectGradient(lossOf, x, dx, { eps: 1e-3, label: kind });
    });
  }

  it('refuses repeated or out-of-range axes, naming the layer', () => {
    const x = input([3, 4], 'x');
    const m = new Model({ inputs: x, outputs: apply(layers.reduce({ op: 'sum', axes: [1, -2] }), x, 'r'), backend: new CpuBackend() });
    expect(() => m.info()).toThrow(ShapeError);
    expect(() => m.info()).toThrow("reduce 'r': axes [1,-2] must be distinct axes of the rank-3 input");
  });
});

describe('argMax / argMin', () => {
  const rng = new Rng(33);
  const CASES_ARG: { shape: number[]; axis: number }[] = [
    { shape: [7], axis: 0 },
    { shape: [3, 5], axis: 1 },
    { shape: [2, 3, 5, 7], axis: 1 },
    { shape: [2, 3, 130], axis: -1 },
    { shape: [3, 4, 3, 2, 5], axis: 3 },
  ];
  for (const { shape, axis } of CASES_ARG) {
    gpuIt(`${JSON.stringify(shape)} along ${axis}: GPU equals CPU, with ties first and last`, async (gpu) => {
      // Few distinct values, so ties are common.
      const x = Float32Array.from(rng.uniform(numel(shape), 0, 4), Math.floor);
      for (const op of ['max', 'min'] as const) {
        for (const selectLastIndex of [false, true]) {
          const layer: LayerConfig = { type: 'argReduce', op, axis, keepDims: selectLastIndex, selectLastIndex };
          await compareWithCpu(gpu, (b, t) => forward(b, layer, t(x, shape)), { atol: 0, rtol: 0 }, `arg${op} last=${selectLastIndex}`);
        }
      }
    });
  }

  it('gives the first or the last index of the extreme on the CPU', async () => {
    const x = cpu.tensor([1, 3, 3, 0, 0, 2], [2, 3]);
    expect([...(await forward(cpu, layers.argMax({ axis: 1 }), x).read())]).toEqual([1, 2]);
    expect([...(await forward(cpu, layers.argMax({ axis: 1, selectLastIndex: true }), x).read())]).toEqual([2, 2]);
    expect([...(await forward(cpu, layers.argMin({ axis: 1, selectLastIndex: true }), x).read())]).toEqual([0, 1]);
  });

  it('fit refuses it: it has no gradient', async () => {
    const m = new Sequential({ inputShape: [4], backend: new CpuBackend() }).add(layers.dense({ units: 3 })).add(layers.argMax({ axis: 1, keepDims: true })).add(layers.dense({ units: 2 }));
    await expect(fit(m, { images: new Float32Array(8), labels: new Float32Array([0, 1]) }, { batchSize: 2 })).rejects.toThrow(/argReduce/);
  });
});

/** (N, 2, 5, 5) → conv → mean over H, W (and max over them, summed in) → dense(3): reductions inside a trained network. */
function net(backend: Backend): Model {
  const x = input([2, 5, 5], 'x');
  const c = apply(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }), x, 'conv');
  const mean = apply(layers.reduce({ op: 'mean', axes: [2, 3] }), c, 'mean');
  const max = apply(layers.reduce({ op: 'max', axes: [-1, -2] }), c, 'max');
  const l2 = apply(layers.reduce({ op: 'l2', axes: [1], keepDims: false }), c, 'l2');
  const s = apply(layers.add(), [mean, max], 'sum');
  const f = apply(layers.concat({ axis: 1 }), [s, apply(layers.flatten(), l2, 'flat')], 'cat');
  const y = apply(layers.dense({ units: 3 }), f, 'fc');
  return new Model({ inputs: x, outputs: y, name: 'reduce-net', backend, seed: 5 });
}

describe('reduce trains', () => {
  const rng = new Rng(34);
  const data = { images: rng.uniform(4 * 50, -1, 1), labels: new Float32Array([0, 1, 2, 1]) };
  gpuIt('two SGD steps through mean, max and L2 reductions on the GPU give the CPU weights', async (gpu) => {
    const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
    const onGpu = net(gpu);
    const onCpu = net(new CpuBackend());
    await fit(onGpu, data, opts);
    await fit(onCpu, data, opts);
    const want = onCpu.getWeights();
    for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, k);
    onGpu.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX node tests

describe('ONNX Reduce*, ArgMax, ArgMin node tests', () => {
  it('test data is present', () => expect(existsSync(NODE_TESTS)).toBe(true));
  gpuIt('all of them pass on the GPU and the CPU', async (gpu) => {
    for (const backend of [gpu, new CpuBackend()]) {
      const { passed, failed, outOfScope } = await runNodeTests(['test_reduce_', 'test_argmax_', 'test_argmin_'], backend);
      expect(failed, backend.name).toEqual([]);
      // ReduceLogSumExp's float64 data (values up to 60) runs as float32.
      expect(outOfScope, backend.name).toEqual([]);
      expect(passed.length).toBe(111);
    }
  }, 120_000);
});
