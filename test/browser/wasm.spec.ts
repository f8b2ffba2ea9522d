// The wasm backend in headless Chromium: zoo models equal the reference backend on 2 threads in
// a cross-origin-isolated page (the dev server sends COOP/COEP) and on 1 thread in one that is
// not (`?coi=0`), where the backend says why; createEngine() picks wasm where WebGPU has only a
// software adapter (SwiftShader here) or none (navigator.gpu removed), with the reason.
import { test, expect, type Page } from '@playwright/test';

async function open(page: Page, query: string) {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/test/browser/wasm.html${query}`);
  await page.waitForFunction(() => window.__webcnnWasm !== undefined, undefined, { timeout: 170_000 });
  const result = await page.evaluate(() => window.__webcnnWasm!);
  expect(result.error ?? null).toBeNull();
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases).toHaveLength(2);
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(errors).toEqual([]);
  return result;
}

test('cross-origin isolated: 2 threads, results equal to the reference', async ({ page }) => {
  const r = await open(page, '');
  expect(r.crossOriginIsolated).toBe(true);
  expect(r.threads).toBe(2);
  expect(r.threadsNote).toBeUndefined();
  // Chromium's adapter here is SwiftShader: 'auto' takes wasm, naming the software adapter.
  if (r.auto.backend === 'wasm') expect(r.auto.fallbackReason).toMatch(/software/);
  else expect(r.auto.backend).toBe('webgpu');
});

test('not isolated: 1 thread, and the backend says why; without navigator.gpu createEngine() gives wasm', async ({ page }) => {
  const r = await open(page, '?coi=0&nogpu');
  expect(r.crossOriginIsolated).toBe(false);
  expect(r.threads).toBe(1);
  expect(r.threadsNote).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
  expect(r.auto.backend).toBe('wasm');
  expect(r.auto.fallbackReason).toMatch(/navigator\.gpu/);
});
