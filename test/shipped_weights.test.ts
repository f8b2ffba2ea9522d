// The weights shipped in weights/ (trained by `webcnn train`, recipe in docs/training.md § Shipped weights):
// they load into the zoo models, classify held-out MNIST test digits on the GPU at the shipped
// accuracy, and the GPU and the CPU reference agree on every prediction.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { createModel, CpuBackend, readSafetensors } from 'webcnn';
import { evaluate, loadMnist, padTo32 } from 'webcnn/train';
import { gpuIt } from './helpers/gpu.js';

const TEST_IMAGES = 2000;

function shipped(name: string): Uint8Array {
  const path = fileURLToPath(new URL(`../weights/${name}.safetensors`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: the package ships trained weights for ${name}`);
  return new Uint8Array(readFileSync(path));
}

async function testSet(name: string, limit: number) {
  const d = await loadMnist('test', { limit });
  return { images: name === 'lenet5' ? padTo32(d.images, d.count, { lecunNormalize: true }) : d.images, labels: d.labels };
}

function argmaxRows(data: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / classes; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[r * classes + c]! > data[r * classes + best]!) best = c;
    out.push(best);
  }
  return out;
}

for (const name of ['lenet5', 'lenet'] as const) {
  gpuIt(`${name}: shipped weights classify ${TEST_IMAGES} MNIST test digits at >= 98.5% on the GPU`, async (gpu) => {
    const bytes = shipped(name);
    const meta = readSafetensors(bytes).metadata;
    const model = createModel(name, { backend: gpu });
    model.loadWeights(bytes, { label: `weights/${name}.safetensors` });
    const r = await evaluate(model, await testSet(name, TEST_IMAGES));
    console.log(`${name}: ${(r.accuracy * 100).toFixed(2)}% on the first ${r.images} test images (shipped metadata: ${JSON.stringify(meta)})`);
    // The first 2,000 test digits are the harder half's share; the full 10,000 give >= 99% (docs/training.md).
    expect(r.accuracy).toBeGreaterThanOrEqual(0.985);
    model.dispose();
  }, 300_000);

  gpuIt(`${name}: shipped weights give the same predictions on the GPU and the CPU reference`, async (gpu) => {
    const bytes = shipped(name);
    const n = 64;
    const { images } = await testSet(name, n);
    const onGpu = createModel(name, { backend: gpu });
    const onCpu = createModel(name, { backend: new CpuBackend() });
    onGpu.loadWeights(bytes);
    onCpu.loadWeights(bytes);
    const g = await onGpu.predict(images, n);
    const c = await onCpu.predict(images, n);
    expect(argmaxRows(g, 10)).toEqual(argmaxRows(c, 10));
    onGpu.dispose();
    onCpu.dispose();
  }, 300_000);
}
