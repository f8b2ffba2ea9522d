/**
 * Time to first result: for each model, a fresh WebGPU engine, the zoo model at a small
 * input, and the wall-clock time of its first `predict` (plan recording, pipeline compilation,
 * weight upload and one run), of its second, and how many distinct pipelines it compiled.
 *
 *   npx vite-node scripts/first_result.ts             # lenet5, resnet18 @64, mobilenet_v2 @64
 *   npx vite-node scripts/first_result.ts --warmup    # warmup() first, then the first predict
 *   npx vite-node scripts/first_result.ts --async     # compile with createComputePipelineAsync, all at once
 *   npx vite-node scripts/first_result.ts lenet5      # one model
 *   npx vite-node scripts/first_result.ts --browser   # in headless Chromium (Debian's), sync then async
 */
import { fileURLToPath } from 'node:url';
import { createEngine, type WebGpuBackend, type ZooName } from '../src/index.js';
import type { FirstResult } from './first_result_page.js';

const CASES: { model: ZooName; size?: number; channels: number }[] = [
  { model: 'lenet5', channels: 1 },
  { model: 'resnet18', size: 64, channels: 3 },
  { model: 'mobilenet_v2', size: 64, channels: 3 },
];

const args = process.argv.slice(2);
const warm = args.includes('--warmup');
const compilePipelines = args.includes('--async') ? 'async' : args.includes('--sync') ? 'sync' : undefined;
const only = args.filter((a) => !a.startsWith('--'));

const cases = CASES.filter((c) => only.length === 0 || only.includes(c.model));
if (args.includes('--browser')) {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const port = 5291;
  const server = await createServer({ root, configFile: `${root}vite.config.ts`, logLevel: 'warn', server: { port, strictPort: true, hmr: false } });
  await server.listen();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${port}/scripts/first_result.html`);
    await page.waitForFunction(() => document.getElementById('log')?.textContent === 'ready', undefined, { timeout: 120_000 });
    for (const c of cases) {
      for (const mode of ['sync', 'async'] as const) {
        const r = await page.evaluate(
          ([m, size, ch, compile]) => (window as unknown as { firstResult: (...a: unknown[]) => Promise<FirstResult> }).firstResult(m, size, ch, compile),
          [c.model, c.size ?? 32, c.channels, mode] as const,
        );
        console.log(`chromium ${mode.padEnd(5)} ${c.model.padEnd(13)} ${String(c.size ?? 32).padStart(3)}px  first result ${r.firstMs.toFixed(0).padStart(6)} ms  second ${r.secondMs.toFixed(0).padStart(5)} ms  pipelines ${r.pipelines}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  process.exit(0);
}

for (const c of cases) {
  const engine = await createEngine({ backend: 'webgpu', debug: { compilePipelines } });
  const gpu = engine.backend as WebGpuBackend;
  const model = await engine.load(c.model, c.size ? { inputSize: c.size, numClasses: 10 } : {});
  const size = c.size ?? 32;
  const x = new Float32Array(c.channels * size * size).map((_, i) => Math.sin(i));
  const t0 = performance.now();
  let warmMs = 0;
  if (warm) {
    await model.warmup({ batch: 1 });
    warmMs = performance.now() - t0;
  }
  await model.predict(x);
  const first = performance.now() - t0;
  const t1 = performance.now();
  await model.predict(x);
  const second = performance.now() - t1;
  const stats = gpu.pipelines.stats;
  console.log(
    `${c.model.padEnd(13)} ${String(size).padStart(3)}px  first result ${first.toFixed(0).padStart(6)} ms` +
      (warm ? ` (warmup ${warmMs.toFixed(0)} ms)` : '') +
      `  second ${second.toFixed(0).padStart(5)} ms  pipelines ${stats.pipelines}  modules ${stats.modules}`,
  );
  engine.dispose();
}
