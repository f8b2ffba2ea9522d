// Parameters larger than one storage binding (maxStorageBufferBindingSize): held in blocks of
// rows on WebGPU, a dense weight by output units and a conv2d weight by output channels, so a
// model whose largest weight is over the limit (AlexNet's and VGG-16's classifiers at the
// default 128 MiB) runs. Tested with the limit lowered (`limitOverrides`) so that small, odd
// shapes split into uneven blocks: GPU = CPU for the forward, the backward (dx, dW, db) and
// fit with SGD and Adam; a parameter that cannot be split is refused naming it as a parameter.
import { describe, it, expect } from 'vitest';
import {
  Model, input, apply, layers, CpuBackend, WebGpuBackend, LimitExceededError, type WebGpuBackendOptions, type Tensor,
} from 'webcnn';
import { fit, type OptimizerConfig } from 'webcnn/train';
import { withBackend } from './helpers/gpu.js';
import { closeReport, expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const cpu = new CpuBackend();
const TOL = { atol: 1e-4, rtol: 1e-3 };
/** A limit under which a few hundred floats are already "large". */
const small = (bytes: number): WebGpuBackendOptions => ({ limitOverrides: { maxStorageBufferBindingSize: bytes } });

async function same(got: Tensor, ref: Tensor, what: string): Promise<void> {
  expect(got.shape, what).toEqual(ref.shape);
  expect(closeReport(await got.read(), await ref.read(), TOL), what).toBeNull();
}

describe('dense with a weight over maxStorageBufferBindingSize', () => {
  // (units, features, batch, limit): blocks of uneven rows, a block of one row, batch > 1.
  const cases: [number, number, number, number][] = [
    [45, 61, 3, 4096],
    [7, 33, 1, 140],
    [47, 9, 5, 1000],
  ];
  for (const [units, features, n, limit] of cases) {
    it(`${units}×${features} weight, batch ${n}, limit ${limit} B: forward and backward equal the CPU`, async () => {
      await withBackend(small(limit), async (be) => {
        const rng = new Rng(units * 7 + features);
        const xs = rng.uniform(n * features, -1, 1);
        const ws = rng.uniform(units * features, -1, 1);
        const bs = rng.uniform(units, -1, 1);
        const dys = rng.uniform(n * units, -1, 1);
        const w = be.tensor(ws, [units, features]);
        expect(be.memoryInfo().buffers, 'the weight is held in blocks').toBeGreaterThan(1);
        const [x, b, dy] = [be.tensor(xs, [n, features]), be.tensor(bs, [units]), be.tensor(dys, [n, units])];
        const [xc, wc, bc, dyc] = [cpu.tensor(xs, [n, features]), cpu.tensor(ws, [units, features]), cpu.tensor(bs, [units]), cpu.tensor(dys, [n, units])];
        expect(closeReport(await w.read(), ws, { atol: 0, rtol: 0 }), 'read joins the blocks').toBeNull();
        await same(be.dense(x, w, b, 'relu'), cpu.dense(xc, wc, bc, 'relu'), 'y');
        const g = be.denseBackward(x, w, dy, { input: true, weight: true, bias: true });
        const r = cpu.denseBackward(xc, wc, dyc, { input: true, weight: true, bias: true });
        await same(g.dx!, r.dx!, 'dx');
        await same(g.dw!, r.dw!, 'dW');
        await same(g.db!, r.db!, 'db');
        // An op that cannot read blocks says so.
        expect(() => be.matmul(x, w, { transposeB: true })).toThrow(LimitExceededError);
        expect(() => be.matmul(x, w, { transposeB: true })).toThrow(`matmul: b [${units},${features}] (${units * features * 4} bytes, more than this device's maxStorageBufferBindingSize, ${limit} bytes) is held in`);
        const before = be.memoryInfo().buffers;
        const blocks = Math.ceil(units / Math.floor(limit / (features * 4)));
        w.dispose();
        expect(be.memoryInfo().buffers, 'disposing a split tensor frees its blocks').toBe(before - blocks);
        for (const t of [x, b, dy, g.dx!, g.dw!, g.db!]) t.dispose();
      });
    }, 120_000);
  }
});

describe('conv2d with a weight over maxStorageBufferBindingSize', () => {
  // (Cout, C, k, batch, H, W, stride, padding, limit)
  const cases: [number, number, number, number, number, number, number, number, number][] = [
    [13, 7, 3, 2, 3, 3, 1, 1, 1024],
    [9, 5, 3, 3, 5, 4, 2, 1, 1300],
    [11, 7, 1, 1, 2, 3, 3, 0, 300],
  ];
  for (const [cout, c, k, n, h, wd, stride, padding, limit] of cases) {
    it(`weight [${cout},${c},${k},${k}], input [${n},${c},${h},${wd}], stride ${stride}, limit ${limit} B: forward and backward equal the CPU`, async () => {
      await withBackend(small(limit), async (be) => {
        const rng = new Rng(cout * 31 + c);
        const params = { stride, padding, activation: 'tanh' as const };
        const xs = rng.uniform(n * c * h * wd, -1, 1);
        const ws = rng.uniform(cout * c * k * k, -1, 1);
        const bs = rng.uniform(cout, -1, 1);
        const x = be.tensor(xs, [n, c, h, wd]);
        const w = be.tensor(ws, [cout, c, k, k]);
        const b = be.tensor(bs, [cout]);
        const [xc, wc, bc] = [cpu.tensor(xs, [n, c, h, wd]), cpu.tensor(ws, [cout, c, k, k]), cpu.tensor(bs, [cout])];
        const y = be.conv2d(x, w, b, params);
        const yc = cpu.conv2d(xc, wc, bc, params);
        await same(y, yc, 'y');
        const dys = rng.uniform(yc.size, -1, 1);
        const dy = be.tensor(dys, yc.shape);
        const g = be.conv2dBackward(x, w, dy, { stride, padding }, { input: true, weight: true, bias: true });
        const r = cpu.conv2dBackward(xc, wc, cpu.tensor(dys, yc.shape), { stride, padding }, { input: true, weight: true, bias: true });
        await same(g.dx!, r.dx!, 'dx');
        await same(g.dw!, r.dw!, 'dW');
        await same(g.db!, r.db!, 'db');
        for (const t of [x, w, b, y, dy, g.dx!, g.dw!, g.db!]) t.dispose();
      });
    }, 120_000);
  }
});

/** A small classifier whose hidden dense weight (40×48 floats, 7,680 bytes) is over the limit. */
function mlp(backend: WebGpuBackend | CpuBackend): Model {
  const x = input([3, 4, 4], 'x');
  const conv = apply(layers.conv2d({ filters: 3, kernelSize: 3, padding: 1, activation: 'relu' }), x, 'conv');
  const flat = apply(layers.flatten(), conv, 'flat');
  const h = apply(layers.dense({ units: 40, activation: 'relu' }), flat, 'hidden');
  const out = apply(layers.dense({ units: 5 }), h, 'out');
  return new Model({ inputs: x, outputs: out, name: 'mlp', backend, seed: 4 });
}

describe('models with a parameter over the limit', () => {
  const optimizers: [string, OptimizerConfig][] = [
    ['sgd+momentum', { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }],
    ['adam', { type: 'adam', lr: 0.01 }],
  ];
  for (const [name, optimizer] of optimizers) {
    it(`fit with ${name}: losses and weights equal the CPU`, async () => {
      await withBackend(small(4096), async (be) => {
        const rng = new Rng(5);
        const data = { images: rng.uniform(12 * 48, -1, 1), labels: Float32Array.from({ length: 12 }, (_, i) => i % 5) };
        const onGpu = mlp(be);
        const onCpu = mlp(new CpuBackend());
        const opts = { epochs: 2, batchSize: 4, optimizer, shuffle: false } as const;
        const losses: Record<string, number[]> = { gpu: [], cpu: [] };
        await fit(onGpu, data, { ...opts, callbacks: { onBatchEnd: (l) => void losses.gpu.push(l.loss!) } });
        await fit(onCpu, data, { ...opts, callbacks: { onBatchEnd: (l) => void losses.cpu.push(l.loss!) } });
        expectClose(losses.gpu, losses.cpu, TOL, 'batch losses');
        const wg = onGpu.getWeights();
        for (const [k, v] of onCpu.getWeights()) expectClose(wg.get(k)!, v, TOL, k);
        const x = rng.uniform(2 * 48, -1, 1);
        expect(closeReport(await onGpu.predict(x, 2), await onCpu.predict(x, 2), TOL)).toBeNull();
        onGpu.dispose();
      });
    }, 300_000);
  }

  it('a parameter its layer cannot split is refused naming it as a parameter, before any GPU work', async () => {
    await withBackend(small(8192), async (be) => {
      // A depthwise conv's weight (256·9 floats, 9,216 bytes): each output channel reads its own input channel.
      const x = input([256, 1, 1], 'x');
      const y = apply(layers.conv2d({ filters: 256, kernelSize: 3, padding: 1, groups: 256 }), x, 'dw');
      const model = new Model({ inputs: x, outputs: y, name: 'depthwise', backend: be });
      const why = "layer 'dw' (conv2d) parameter 'weight' [256,1,3,3] needs 9216 bytes, more than this device's maxStorageBufferBindingSize (8192 bytes); it is a parameter: this layer cannot take a parameter split across bindings (dense, and conv2d without groups, can). It runs only on a device with a larger limit";
      await expect(model.predict(new Float32Array(256))).rejects.toThrow(`predict: model 'depthwise' ${why}`);
      expect(be.memoryInfo().buffers).toBe(0);
      // fit says the same before uploading anything.
      const data = { images: new Float32Array(2 * 256), labels: new Float32Array(2 * 256) };
      await expect(fit(model, data, { loss: 'mse', batchSize: 2 })).rejects.toThrow(`fit: model 'depthwise' ${why}`);
      expect(be.memoryInfo().buffers).toBe(0);
      model.dispose();
    });
  }, 120_000);
});
