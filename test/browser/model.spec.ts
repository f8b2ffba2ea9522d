// Models and training in headless Chromium's WebGPU: zoo forwards equal the CPU reference with
// one submit each, and a few training steps lower the loss, with empty validation scopes.
import { test, expect } from '@playwright/test';

test('zoo models run and LeNet trains in Chromium', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/test/browser/model.html');
  await page.waitForFunction(() => window.__webcnnModels !== undefined, undefined, { timeout: 170_000 });
  const result = await page.evaluate(() => window.__webcnnModels!);
  expect(result.error ?? null, 'WebGPU adapter in Chromium').toBeNull();
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases).toHaveLength(3);
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(errors).toEqual([]);
});
