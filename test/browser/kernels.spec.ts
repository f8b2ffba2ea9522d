// Kernels in headless Chromium on its WebGPU adapter (SwiftShader on machines without a GPU):
// every case must match the CPU reference with an empty validation error scope.
import { test, expect } from '@playwright/test';

test('GPU kernels match the CPU reference in Chromium', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto('/test/browser/kernels.html');
  await page.waitForFunction(() => window.__webcnnResult !== undefined, undefined, { timeout: 150_000 });
  const result = await page.evaluate(() => window.__webcnnResult!);
  expect(result.error ?? null, 'WebGPU adapter in Chromium').toBeNull();
  console.log(`adapter: ${JSON.stringify(result.adapter)}`);
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases.length).toBeGreaterThanOrEqual(15);
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
