// PyTorch exports of vision families (scripts/vision_fixtures.py) fetched over HTTP, imported
// with loadOnnx and run on WebGPU in the page; every output is compared with PyTorch's within
// 1e-3 of its scale (max |PyTorch output|), inside a validation error scope. The models are
// named in the query (`?models=resnet,mobilenet_v2`) and fetched from /vision-fixtures/, which
// the Playwright spec answers from the generated files. The spec reads `window.__webcnnVision`.
import { WebGpuBackend } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../../src/io/npy.js';

interface VisionCase {
  name: string;
  ok: boolean;
  detail: string;
}
interface FixtureInfo {
  name: string;
  outputs: { name: string; file: string }[];
}
declare global {
  interface Window {
    __webcnnVision?: { error?: string; cases: VisionCase[] };
  }
}

const RTOL = 1e-3;

async function bytes(file: string): Promise<Uint8Array> {
  const res = await fetch(`/vision-fixtures/${file}`);
  if (!res.ok) throw new Error(`GET /vision-fixtures/${file}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function npy(file: string): Promise<Float32Array> {
  return readNpy(await bytes(file), file).data as Float32Array;
}

/** How many elements differ from PyTorch's by more than RTOL·max|ref|, and the worst difference relative to that scale. */
function compare(got: Float32Array, want: Float32Array): { bad: number; worst: number; scale: number } {
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let bad = got.length === want.length ? 0 : Math.max(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const d = Math.abs(got[i] - want[i]);
    worst = Math.max(worst, d / scale);
    if (!(d <= RTOL * scale)) bad++;
  }
  return { bad, worst, scale };
}

async function runCase(gpu: WebGpuBackend, name: string): Promise<VisionCase> {
  gpu.device.pushErrorScope('validation');
  const info = JSON.parse(new TextDecoder().decode(await bytes(`${name}.json`))) as FixtureInfo;
  const model = await loadOnnx(`/vision-fixtures/${name}.onnx`, { backend: gpu });
  const details: string[] = [];
  let ok = true;
  try {
    const got = await model.predictAll([await npy(`${name}.input.npy`)]);
    for (const [k, o] of info.outputs.entries()) {
      const c = compare(got[k], await npy(o.file));
      ok &&= c.bad === 0;
      details.push(`${o.name}: ${c.bad} outside ${RTOL}·${c.scale.toPrecision(3)}, worst ${c.worst.toExponential(2)} of the scale`);
    }
  } finally {
    model.dispose();
  }
  const err = await gpu.device.popErrorScope();
  if (err) details.push(`validation error: ${err.message}`);
  return { name, ok: ok && !err, detail: details.join('; ') };
}

async function main(): Promise<{ error?: string; cases: VisionCase[] }> {
  let gpu: WebGpuBackend;
  try {
    gpu = await WebGpuBackend.create();
  } catch (e) {
    return { error: (e as Error).message, cases: [] };
  }
  const cases: VisionCase[] = [];
  for (const name of (new URLSearchParams(location.search).get('models') ?? '').split(',').filter(Boolean)) {
    try {
      cases.push(await runCase(gpu, name));
    } catch (e) {
      cases.push({ name, ok: false, detail: (e as Error).message });
    }
  }
  gpu.dispose();
  return { cases };
}

void main().then((r) => {
  window.__webcnnVision = r;
  const log = document.getElementById('log');
  if (log) log.textContent = JSON.stringify(r, null, 2);
});
