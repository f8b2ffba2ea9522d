// PyTorch exports of two vision families that run today (MobileNetV2 and ResNet, small, from
// scripts/vision_fixtures.py, generated here as for test/vision_families.test.ts) fetched over
// HTTP by a page in headless Chromium, run on its WebGPU and compared with PyTorch's outputs
// within 1e-3 of the output's scale, with an empty validation scope and no console errors.
// The page asks for /vision-fixtures/<file>; this spec answers from the generated directory.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { visionFixtures } from '../helpers/vision_fixtures.js';

const MODELS = ['mobilenet_v2', 'resnet'];

test('PyTorch MobileNetV2 and ResNet exports equal PyTorch on WebGPU in Chromium', async ({ page }) => {
  // Generating the fixtures on a cold cache (PyTorch) and compiling pipelines on a software adapter are slow.
  test.setTimeout(600_000);
  const generated = await visionFixtures();
  // npm test's set-up installs PyTorch: without it this is a failure, never a skip.
  if ('missing' in generated) throw new Error(generated.missing);
  const served = new Set(generated.fixtures.flatMap((f) => [`${f.name}.json`, `${f.name}.onnx`, `${f.name}.input.npy`, ...f.outputs.map((o) => o.file)]));
  await page.route('**/vision-fixtures/*', async (route) => {
    const file = basename(new URL(route.request().url()).pathname);
    if (!served.has(file)) return route.fulfill({ status: 404, body: `not found: ${file}\n` });
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(join(generated.dir, file)) });
  });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/test/browser/vision.html?models=${MODELS.join(',')}`);
  await page.waitForFunction(() => window.__webcnnVision !== undefined, undefined, { timeout: 590_000 });
  const result = await page.evaluate(() => window.__webcnnVision!);
  expect(result.error ?? null, 'WebGPU adapter in Chromium').toBeNull();
  for (const c of result.cases) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  expect(result.cases.map((c) => c.name)).toEqual(MODELS);
  expect(result.cases.filter((c) => !c.ok)).toEqual([]);
  expect(errors).toEqual([]);
});
