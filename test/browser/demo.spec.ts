// The demo page (index.html, `npm start`) in headless Chromium with WebGPU: mouse strokes shaped
// like a 1 and a 0 are read as 1 and 0 by the shipped LeNet-5, the feature maps appear, a few
// training batches on an MNIST subset move the progress bar and the loss plot (with a pause and
// a resume), the explorer profiles a model per layer and imports an ONNX file (these on WebGPU
// by name, `?backend=webgpu`: Chromium's adapter here is SwiftShader, a software one, where the
// page would pick the wasm backend), and without WebGPU the page says so and reads digits on the
// CPU, on the wasm backend with its threads, where LeNet also trains (`?backend=cpu`). No
// console errors anywhere; screenshots are kept in test-results/.
import { test, expect, type Page, type TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';

// Pipeline compilation on a software adapter takes seconds per kernel, and far longer when the
// machine is busy: generous limits, though a quiet machine needs a fraction of them.
const FIRST_RESULT = 300_000;
test.describe.configure({ timeout: 600_000 });

/** Console errors and uncaught exceptions of a page, to assert empty at the end. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

/**
 * Opens the demo and waits until the drawing pad's model is compiled: on a software adapter the
 * GPU process is busy compiling meanwhile, and input events wait for it. Pages that do not draw
 * pass `warmup=0` and skip that compile.
 */
async function openDemo(page: Page, query = ''): Promise<void> {
  await page.goto(`/${query}`);
  if (query.includes('warmup=0')) await page.waitForFunction(() => window.__webcnnDemo?.ready === true, undefined, { timeout: FIRST_RESULT });
  else await page.waitForFunction(() => window.__webcnnDemo?.warm === true, undefined, { timeout: FIRST_RESULT });
}

/** One mouse stroke through points given in fractions of the pad (0..1 across and down). */
async function stroke(page: Page, points: readonly (readonly [number, number])[]): Promise<void> {
  const box = (await page.getByTestId('draw-canvas').boundingBox())!;
  const at = ([x, y]: readonly [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 5 });
  await page.mouse.up();
}

/** A slightly slanted vertical bar, as most people write a 1. */
const ONE: readonly (readonly [number, number])[] = [[0.53, 0.14], [0.51, 0.5], [0.48, 0.86]];

/** An upright ellipse, started at the top, as a 0. */
const ZERO: readonly (readonly [number, number])[] = Array.from({ length: 41 }, (_, i) => {
  const a = (i / 40) * 2 * Math.PI;
  return [0.5 + 0.22 * Math.sin(a), 0.5 - 0.34 * Math.cos(a)] as const;
});

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

test('a 1 and a 0 drawn with the mouse are read as 1 and 0, with feature maps', async ({ page }, info) => {
  const errors = watchErrors(page);
  await openDemo(page, '?backend=webgpu');
  await expect(page.getByTestId('backend')).toContainText('Running on WebGPU');
  await expect(page.getByTestId('pad-weights')).toContainText('shipped, weights/lenet5.safetensors');
  await expect(page.getByTestId('prediction')).toHaveText('');

  await stroke(page, ONE);
  await expect(page.getByTestId('prediction')).toHaveText('1', { timeout: FIRST_RESULT });
  await expect(page.getByTestId('scores').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('scores').locator('li.best')).toHaveAttribute('aria-label', /^1: \d+\.\d%/);
  await expect(page.getByTestId('inference-time')).toContainText(/Inference: [\d.]+ ms on the GPU/);
  // C1, S2, C3: 6 + 6 + 16 maps of the drawing, and C1's 6 filters.
  await expect(page.getByTestId('feature-maps').locator('canvas')).toHaveCount(28, { timeout: FIRST_RESULT });
  await expect(page.getByTestId('filters').locator('canvas')).toHaveCount(6);
  await shot(page, info, 'lenet5-one');

  await page.getByTestId('clear').click();
  await expect(page.getByTestId('prediction')).toHaveText('');
  await stroke(page, ZERO);
  await expect(page.getByTestId('prediction')).toHaveText('0', { timeout: FIRST_RESULT });
  await shot(page, info, 'lenet5-zero');
  expect(errors).toEqual([]);
});

test('training on an MNIST subset moves the progress bar and the plots, pauses, resumes and hands its weights on', async ({ page }, info) => {
  const errors = watchErrors(page);
  // 256 images in batches of 32: 8 steps, each loss read back and plotted.
  await openDemo(page, '?model=lenet&train=256&test=64&batch=32&epochs=1&warmup=0&backend=webgpu');
  const progress = page.getByTestId('train-progress');
  const lossChart = page.getByTestId('loss-chart');
  await expect(progress).toHaveJSProperty('value', 0);
  await expect(lossChart).toHaveAttribute('data-points', '0');

  await page.getByTestId('train-start').click();
  await expect.poll(() => progress.evaluate((e) => (e as HTMLProgressElement).value), { timeout: FIRST_RESULT }).toBeGreaterThan(0);
  await page.getByTestId('train-pause').click();
  await expect(page.getByTestId('train-status')).toContainText('Paused in epoch 1 after', { timeout: FIRST_RESULT });
  const paused = await progress.evaluate((e) => (e as HTMLProgressElement).value);
  expect(paused).toBeGreaterThan(0);
  expect(paused).toBeLessThan(1);
  expect(Number(await lossChart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
  await shot(page, info, 'training-paused');

  await expect(page.getByTestId('train-pause')).toHaveText('Resume');
  await page.getByTestId('train-pause').click();
  await expect(page.getByTestId('train-status')).toContainText('Done: 1 epoch of 256 images', { timeout: FIRST_RESULT });
  await expect(progress).toHaveJSProperty('value', 1);
  // Every one of the 8 batches plotted once: resuming carried on where the pause stopped.
  await expect(lossChart).toHaveAttribute('data-points', '8');
  await expect(lossChart.locator('polyline')).toHaveCount(1);
  // 8 training-batch accuracies and one test accuracy after the epoch.
  await expect(page.getByTestId('acc-chart')).toHaveAttribute('data-points', '9');
  await expect(page.getByTestId('train-status')).toContainText(/test accuracy \d+\.\d%/);
  await shot(page, info, 'training-done');

  // The trained weights go to the drawing pad...
  await page.getByTestId('train-use').click();
  await expect(page.getByTestId('pad-weights')).toContainText('trained in this page (1.00 epochs of 256 images');
  await expect(page.getByTestId('pad-model')).toHaveValue('lenet');
  // ...and download as safetensors with LeNet's parameter names.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('train-download').click()]);
  expect(download.suggestedFilename()).toBe('lenet-demo.safetensors');
  const bytes = readFileSync((await download.path())!);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { shape?: number[] }>;
  expect(header['conv1.weight'].shape).toEqual([6, 1, 5, 5]);
  expect(header['fc3.bias'].shape).toEqual([10]);
  expect(bytes.length).toBe(8 + headerLength + 61_706 * 4);
  expect(errors).toEqual([]);
});

test("with the force-CPU switch (?backend=cpu) LeNet trains on the wasm backend, and the page says backend and threads", async ({ page }) => {
  const errors = watchErrors(page);
  await openDemo(page, '?model=lenet&train=256&test=64&batch=32&epochs=1&warmup=0&backend=cpu');
  await expect(page.getByTestId('backend')).toContainText('Running on the CPU (WebAssembly, 2 threads), as asked (?backend=cpu)');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toContainText('Done: 1 epoch of 256 images', { timeout: FIRST_RESULT });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '8');
  await expect(page.getByTestId('train-status')).toContainText(/test accuracy \d+\.\d%/);
  expect(errors).toEqual([]);
});

test('the explorer shows a layer table and per-layer GPU times, and imports an ONNX file', async ({ page }, info) => {
  const errors = watchErrors(page);
  await openDemo(page, '?warmup=0&backend=webgpu');
  // Every zoo model is offered, the MobileNets and the U-Net with their small default inputs.
  await page.getByTestId('explore-model').selectOption('mobilenet_v3_small');
  await expect(page.getByTestId('explore-size')).toHaveValue('64');
  await page.getByTestId('explore-model').selectOption('unet');
  await expect(page.locator('#explore-about')).toContainText('U-Net');
  await page.getByTestId('explore-model').selectOption('lenet5');
  await expect(page.getByTestId('explore-size')).toHaveValue('32');
  await page.getByTestId('explore-build').click();
  const rows = page.getByTestId('explore-table').locator('tbody tr');
  await expect(rows).toHaveCount(8);
  await expect(rows.first()).toContainText('c1');
  await expect(page.getByTestId('explore-table').locator('tfoot')).toContainText('60,840');
  await page.getByTestId('explore-run').click();
  await expect(page.getByTestId('explore-status')).toContainText('sum to', { timeout: FIRST_RESULT });
  await expect(page.getByTestId('explore-status')).toContainText(/Execution plan: \d+ buffers/);
  await expect(page.getByTestId('profile').locator('li').first()).toContainText(/c1\s*[\d.]+ ms/);
  expect(await page.getByTestId('profile').locator('li').count()).toBeGreaterThanOrEqual(5);
  await page.getByTestId('explore-table').scrollIntoViewIfNeeded();
  await shot(page, info, 'explorer');

  // An ONNX export (a small residual network from PyTorch) becomes a model with a layer table.
  await page.getByTestId('onnx-file').setInputFiles('test/fixtures/onnx/residual.onnx');
  await expect(page.getByTestId('onnx-status')).toContainText(/residual\.onnx: opset \d+, \d+ ONNX nodes became \d+ layers/, { timeout: FIRST_RESULT });
  expect(await rows.count()).toBeGreaterThan(5);
  await expect(page.getByTestId('explore-table').locator('caption')).toContainText('input [1,3,12,12]');
  expect(errors).toEqual([]);
});

test('without WebGPU, on a phone-sized screen, the page says so and reads digits on the CPU (wasm, 2 threads)', async ({ browser }, info) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
  await openDemo(page);
  await expect(page.getByTestId('backend')).toContainText('No WebGPU here, so the demo runs on the CPU instead, on the CPU (WebAssembly, 2 threads)');
  await expect(page.getByTestId('backend')).toContainText('navigator.gpu is missing');
  // Nothing wider than the phone's screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.getByTestId('draw-canvas').scrollIntoViewIfNeeded();
  await stroke(page, ONE);
  await expect(page.getByTestId('prediction')).toHaveText('1', { timeout: FIRST_RESULT });
  await expect(page.getByTestId('inference-time')).toContainText('on the CPU (WebAssembly, 2 threads)');
  await shot(page, info, 'phone-cpu');
  // The explorer times each layer on the CPU too.
  await page.getByTestId('explore-model').selectOption('lenet5');
  await page.getByTestId('explore-build').click();
  await page.getByTestId('explore-run').click();
  await expect(page.getByTestId('explore-status')).toContainText('Per-layer times (CPU clock, one layer at a time) sum to', { timeout: FIRST_RESULT });
  await expect(page.getByTestId('profile')).toContainText('CPU time per layer');
  await expect(page.getByTestId('profile').locator('li').first()).toContainText(/c1\s*[\d.]+ ms/);
  expect(errors).toEqual([]);
  await context.close();
});
