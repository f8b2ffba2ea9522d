// The wasm backend in the page: LeNet-5 and ResNet-18 (32×32) forward against the reference
// backend, with as many threads as the page allows (served with COOP/COEP it is cross-origin
// isolated and runs 2 threads; with `?coi=0` it is not, and runs 1, saying why), and what
// createEngine() picks here (`?nogpu` removes navigator.gpu first). The Playwright spec reads
// `window.__webcnnWasm`.
import { createBackend, createEngine, createModel, CpuBackend, type WasmBackend } from 'webcnn';

interface WasmPage {
  error?: string;
  crossOriginIsolated: boolean;
  threads: number;
  threadsNote?: string;
  auto: { backend: string; fallbackReason?: string };
  cases: { name: string; ok: boolean; detail: string }[];
}
declare global {
  interface Window {
    __webcnnWasm?: WasmPage;
  }
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

async function main(): Promise<WasmPage> {
  if (new URLSearchParams(location.search).has('nogpu')) Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
  const engine = await createEngine();
  const auto = { backend: engine.backendName, fallbackReason: engine.fallbackReason };
  engine.dispose();
  const backend = (await createBackend({ backend: 'wasm', threads: 2 })).backend as WasmBackend;
  const cpu = new CpuBackend();
  const cases: WasmPage['cases'] = [];
  for (const [name, size] of [['lenet5', 32], ['resnet18', 32]] as const) {
    const batch = 2;
    const x = random(batch * (name === 'lenet5' ? 1 : 3) * size * size, 5);
    const options = { inputSize: size, numClasses: name === 'lenet5' ? undefined : 10, seed: 1 };
    const want = await createModel(name, { ...options, backend: cpu }).predict(x, { batch });
    const got = await createModel(name, { ...options, backend }).predict(x, { batch });
    // float32 against float64 sums: relative to the output's scale.
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w))));
    cases.push({ name: `${name} ${size}×${size} batch ${batch}`, ok: got.length === want.length && worst <= 1e-4 * scale, detail: `worst |diff| ${worst.toExponential(2)}, scale ${scale.toFixed(3)}` });
  }
  const result: WasmPage = { crossOriginIsolated, threads: backend.threads, threadsNote: backend.threadsNote, auto, cases };
  backend.dispose();
  return result;
}

main().then(
  (r) => {
    document.getElementById('log')!.textContent = JSON.stringify(r, null, 2);
    window.__webcnnWasm = r;
  },
  (e: unknown) => {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    document.getElementById('log')!.textContent = error;
    window.__webcnnWasm = { error, crossOriginIsolated, threads: 0, auto: { backend: '' }, cases: [] };
  },
);
