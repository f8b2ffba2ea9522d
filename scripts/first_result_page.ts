/**
 * The page of `scripts/first_result.ts --browser`: `window.firstResult(model, size, compilePipelines)`
 * times a model's first and second predict on a fresh WebGPU engine in this page.
 */
import { createEngine, type WebGpuBackend, type ZooName, type PipelineCompilation } from '../src/index.js';

export interface FirstResult {
  firstMs: number;
  secondMs: number;
  pipelines: number;
}

async function firstResult(model: ZooName, size: number, channels: number, compilePipelines?: PipelineCompilation): Promise<FirstResult> {
  const engine = await createEngine({ backend: 'webgpu', debug: { compilePipelines } });
  try {
    const m = await engine.load(model, model === 'lenet5' ? {} : { inputSize: size, numClasses: 10 });
    const x = new Float32Array(channels * size * size).map((_, i) => Math.sin(i));
    const t0 = performance.now();
    await m.predict(x);
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    await m.predict(x);
    return { firstMs, secondMs: performance.now() - t1, pipelines: (engine.backend as WebGpuBackend).pipelines.stats.pipelines };
  } finally {
    engine.dispose();
  }
}

(window as unknown as { firstResult: typeof firstResult }).firstResult = firstResult;
document.getElementById('log')!.textContent = 'ready';
