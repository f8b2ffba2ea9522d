// The app-facing API: createEngine() and its backends, engine.load() with safetensors weights
// from bytes, a path or a file: URL, predict() on images (ImageData-like pixels), tensors and
// Float32Arrays, classify(), dispose(); and the image conversion checked against hand-computed
// values and against the MNIST preprocessing LeNet-5 was trained with.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createEngine, classify, createModel, imageToSample, readWeights, toModelInput, Sequential, layers, CpuBackend, DataLoadError,
  DisposedError, InvalidArgumentError, ShapeError, SafetensorsError, type PixelData,
} from 'webcnn';
import { loadMnist, padTo32 } from 'webcnn/train';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';

/** RGBA pixels from grey levels in [0, 1] (one per pixel), alpha 255. */
function greyImage(grey: Float32Array | readonly number[], width: number, height: number): PixelData {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(grey[i] * 255);
    data.set([v, v, v, 255], i * 4);
  }
  return { width, height, data };
}

function rgba(width: number, height: number, pixels: readonly (readonly [number, number, number, number])[]): PixelData {
  return { width, height, data: Uint8ClampedArray.from(pixels.flat()) };
}

describe('image conversion', () => {
  it('area-averages, takes the luminance and maps to the range', () => {
    // 2×2 → 1×1: the mean of the four pixels' luminance.
    const img = rgba(2, 2, [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 255]]);
    const lum = (0.299 + 0.587 + 0.114 + 1) / 4;
    expectClose(imageToSample(img, [1, 1, 1]), [lum], { atol: 1e-6, rtol: 0 });
    expectClose(imageToSample(img, [1, 1, 1], { range: [-1, 3] }), [-1 + 4 * lum], { atol: 1e-6, rtol: 0 });
    expectClose(imageToSample(img, [1, 1, 1], { invert: true }), [1 - lum], { atol: 1e-6, rtol: 0 });
    // RGB planes, normalized per channel.
    expectClose(imageToSample(img, [3, 1, 1], { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] }), [(0.5 - 0.5) / 0.5, (0.5 - 0.25) / 0.25, 0.5 / 2], { atol: 1e-6, rtol: 0 });
  });

  it('resamples 3 → 2 pixels by overlap, composites transparency over the background, pads', () => {
    // One row of three pixels 0, 255, 0 → two outputs covering 1.5 pixels each: (1·0 + 0.5·1)/1.5.
    const row = rgba(3, 1, [[0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 0, 255]]);
    expectClose(imageToSample(row, [1, 1, 2]), [1 / 3, 1 / 3], { atol: 1e-6, rtol: 0 });
    // A fully transparent white pixel is background: 0, or after `invert` (white paper) 0 too.
    const clear = rgba(1, 1, [[255, 255, 255, 0]]);
    expectClose(imageToSample(clear, [1, 1, 1]), [0], { atol: 1e-6, rtol: 0 });
    expectClose(imageToSample(clear, [1, 1, 1], { invert: true }), [0], { atol: 1e-6, rtol: 0 });
    // Padding: background (the range's low end) around the image.
    const one = rgba(1, 1, [[255, 255, 255, 255]]);
    expectClose(imageToSample(one, [1, 3, 3], { padding: 1, range: [-0.5, 2] }), [-0.5, -0.5, -0.5, -0.5, 2, -0.5, -0.5, -0.5, -0.5], { atol: 1e-6, rtol: 0 });
  });

  it("gives LeNet-5 exactly the MNIST preprocessing it was trained with, also from a 2× image", async () => {
    const mnist = await loadMnist('test', { limit: 2 });
    const want = padTo32(mnist.images, 2, { lecunNormalize: true });
    const model = createModel('lenet5');
    const digits = [0, 1].map((n) => greyImage(mnist.images.subarray(n * 784, (n + 1) * 784), 28, 28));
    const got = await toModelInput(digits, model.info(1).inputShapes[0].slice(1), { image: { padding: 2, range: [-0.1, 1.175] } });
    expect(got.batch).toBe(2);
    expectClose(got.data, want, { atol: 1e-5, rtol: 0 }, 'lenet5 input');
    // The same digit drawn at 56×56 (each pixel a 2×2 block) averages back to the 28×28.
    const big = new Float32Array(56 * 56);
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[y * 56 + x] = mnist.images[(y >> 1) * 28 + (x >> 1)];
    expectClose(imageToSample(greyImage(big, 56, 56), [1, 32, 32], { padding: 2, range: [-0.1, 1.175] }), want.subarray(0, 1024), { atol: 1e-5, rtol: 0 }, '2× digit');
  });

  it('refuses what it cannot convert, naming the model and the shapes', async () => {
    const model = createModel('lenet', { backend: new CpuBackend() });
    await expect(model.predict({ width: 2, height: 2, data: new Uint8ClampedArray(3) })).rejects.toThrow(ShapeError);
    await expect(model.predict({ width: 2, height: 2, data: new Uint8ClampedArray(3) })).rejects.toThrow(/16 bytes|2×2×4/);
    await expect(model.predict('digit.png' as never)).rejects.toThrow(/model 'lenet': input must be a Float32Array, a Tensor, ImageData.*got string/);
    await expect(model.predict([])).rejects.toThrow(/empty array/);
    const rgbNet = new Sequential({ inputShape: [4, 2, 2], name: 'four' }).add(layers.flatten());
    await expect(rgbNet.predict(rgba(1, 1, [[0, 0, 0, 255]]))).rejects.toThrow(/1 \(grey\) or 3 \(RGB\) channels; this model's input has 4 \(input \[4,2,2\]\)/);
    await expect(model.predict(rgba(1, 1, [[0, 0, 0, 255]]), { image: { padding: 14 } })).rejects.toThrow(InvalidArgumentError);
    await expect(model.predict(rgba(1, 1, [[0, 0, 0, 255]]), { batch: 2 })).rejects.toThrow(/batch 2 given with 1 image/);
  });
});

describe('createEngine', () => {
  it("gives the reference backend when asked by name ('reference', or 'cpu'), with no fallback reason", async () => {
    for (const name of ['reference', 'cpu'] as const) {
      const engine = await createEngine({ backend: name });
      expect(engine.backendName).toBe('reference');
      expect(engine.fallbackReason).toBeUndefined();
      engine.dispose();
      await expect(engine.load('lenet')).rejects.toThrow(DisposedError);
    }
  });

  gpuIt('picks WebGPU on a hardware adapter; on a software one (here SwiftShader) the wasm backend, saying why', async (gpu) => {
    const engine = await createEngine();
    const { isSoftware, description, architecture, vendor } = gpu.ctx.info;
    if (isSoftware) {
      expect(engine.backendName, `fallback: ${engine.fallbackReason}`).toBe('wasm');
      expect(engine.fallbackReason).toContain('software');
      expect(engine.fallbackReason).toContain(description || architecture || vendor);
      expect(engine.fallbackReason).toContain("'webgpu'");
    } else {
      expect(engine.backendName, `fell back: ${engine.fallbackReason}`).toBe('webgpu');
      expect(engine.fallbackReason).toBeUndefined();
    }
    engine.dispose();
    // Asked for by name, WebGPU runs on whatever adapter there is, software or not.
    const gpuEngine = await createEngine({ backend: 'webgpu' });
    expect(gpuEngine.backendName).toBe('webgpu');
    expect(gpuEngine.fallbackReason).toBeUndefined();
    gpuEngine.dispose();
  });

  gpuIt('loads weights from bytes, ArrayBuffer, a path and a file: URL, and predicts images, tensors and arrays alike', async (gpu) => {
    // On the test's device, so that its error scopes see every dispatch.
    const engine = await createEngine({ backend: 'webgpu', context: gpu.ctx });
    expect(engine.backendName).toBe('webgpu');
    const source = createModel('lenet5', { seed: 7 });
    const bytes = source.saveWeights();
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-engine-'));
    try {
      const file = join(dir, 'lenet5.safetensors');
      writeFileSync(file, bytes);
      const models = [
        await engine.load('lenet5', { weights: bytes }),
        await engine.load('lenet5', { weights: bytes.slice().buffer }),
        await engine.load('lenet5', { weights: file }),
        await engine.load('lenet5', { weights: pathToFileURL(file) }),
      ];
      const mnist = await loadMnist('test', { limit: 3 });
      const images = [0, 1, 2].map((n) => greyImage(mnist.images.subarray(n * 784, (n + 1) * 784), 28, 28));
      const x = padTo32(mnist.images, 3, { lecunNormalize: true });
      const cpuModel = createModel('lenet5', { backend: new CpuBackend() });
      cpuModel.loadWeights(bytes);
      const ref = await cpuModel.predict(x);
      // Every source gave the same weights; one model runs on the GPU.
      const want = source.getWeights();
      for (const m of models) for (const [k, v] of m.getWeights()) expect(v, k).toEqual(want.get(k));
      expectClose(await models[0].predict(images), ref, { atol: 1e-4, rtol: 1e-4 }, 'images on WebGPU');
      const t = engine.backend.tensor(x, [3, 1, 32, 32]);
      expectClose(await models[0].predict(t), ref, { atol: 1e-4, rtol: 1e-4 }, 'tensor input');
      t.dispose();
      // classify: LeNet-5's RBF outputs are distances, so the class is the smallest.
      const classes = await classify(models[0], images);
      classes.forEach((c, n) => {
        const row = Array.from(ref.subarray(n * 10, n * 10 + 10));
        expect(c.label).toBe(row.indexOf(Math.min(...row)));
      });
      // adopt: a model built elsewhere moves to the engine and is disposed with it.
      const adopted = engine.adopt(cpuModel);
      expect(await adopted.backend()).toBe(engine.backend);
      expectClose(await adopted.predict(x), ref, { atol: 1e-4, rtol: 1e-4 }, 'adopted');
      engine.dispose();
      await expect(models[2].predict(x)).rejects.toThrow(DisposedError);
      await expect(adopted.predict(x)).rejects.toThrow(DisposedError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('names what it cannot read: a missing file, a malformed one, weights of another model', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    await expect(readWeights('/nonexistent/lenet5.safetensors')).rejects.toThrow(DataLoadError);
    await expect(engine.load('lenet5', { weights: '/nonexistent/lenet5.safetensors' })).rejects.toThrow(/\/nonexistent\/lenet5\.safetensors: cannot read the weights/);
    await expect(engine.load('lenet5', { weights: new Uint8Array([1, 2, 3]) })).rejects.toThrow(SafetensorsError);
    await expect(engine.load('lenet5', { weights: createModel('lenet').saveWeights() })).rejects.toThrow(ShapeError);
    engine.dispose();
  });
});
