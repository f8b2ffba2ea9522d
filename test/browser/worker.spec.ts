// The engine inside a dedicated module Worker in headless Chromium: WebGPU is available there,
// LeNet-5 and a conv2d on the GPU equal the CPU backend in the same worker, with an empty
// validation scope and no console errors, and LeNet-5 on the wasm backend (2 threads) too. With
// WebGPU switched off, createEngine() in the worker gives wasm, and the same cases pass on it.
import { test, expect } from '@playwright/test';

test('webcnn runs LeNet-5 and a conv inside a module Worker', async ({ page }) => {
  // Pipeline compilation on a software adapter is slow; a loaded machine needs more than the default.
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/test/browser/worker.html');
  await page.waitForFunction(() => window.__webcnnWorker !== undefined, undefined, { timeout: 590_000 });
  const result = await page.evaluate(() => window.__webcnnWorker!);
  expect(result.error ?? null, 'WebGPU adapter in the worker').toBeNull();
  expect(result.inWorker, 'ran in a WorkerGlobalScope').toBe(true);
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases).toHaveLength(3);
  expect(result.cases[2].name).toContain('on wasm, 2 threads');
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(errors).toEqual([]);
});

test('with WebGPU switched off, createEngine() in a Worker gives wasm, and LeNet-5 and the conv equal the reference', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/test/browser/worker.html?nogpu');
  await page.waitForFunction(() => window.__webcnnWorker !== undefined, undefined, { timeout: 170_000 });
  const result = await page.evaluate(() => window.__webcnnWorker!);
  expect(result.error ?? null).toBeNull();
  expect(result.inWorker).toBe(true);
  expect(result.engine?.backend).toBe('wasm');
  expect(result.engine?.fallbackReason).toMatch(/navigator\.gpu/);
  // The dev server isolates the page, and a worker of it may start workers of its own.
  expect(result.engine?.threads).toBeGreaterThanOrEqual(2);
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases).toHaveLength(2);
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(errors).toEqual([]);
});
