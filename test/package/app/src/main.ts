// A fresh app using the installed package the way a web developer would: createEngine(),
// the shipped LeNet-5 weights imported as a module (no fetch) and as an asset URL (fetched),
// and classify() on a canvas the digits are drawn on. `?nogpu` removes navigator.gpu first, to
// see the CPU fallback and its reason; `?backend=webgpu` asks for WebGPU by name (on any adapter,
// a software one too). The test reads window.__webcnnApp.
import { createEngine, classify, type WasmBackend } from 'webcnn';
import lenet5 from 'webcnn/weights/lenet5';
import lenet5Url from 'webcnn/weights/lenet5.safetensors?url';
import mnist from './digits.json';

interface AppResult {
  error?: string;
  backend: string;
  fallbackReason?: string;
  /** The wasm backend's threads, and why not more. */
  threads?: number;
  threadsNote?: string;
  sameBytes: boolean;
  ms: number;
  /** Milliseconds from page start at each stage. */
  stages: Record<string, number>;
  digits: { index: number; label: number; predicted: number; urlPredicted: number; scores: number[] }[];
}
declare global {
  interface Window {
    __webcnnApp?: AppResult;
  }
}

const log = document.getElementById('log')!;

async function main(): Promise<AppResult> {
  const start = performance.now();
  const stages: Record<string, number> = {};
  const stage = (name: string) => (stages[name] = Math.round(performance.now() - start));
  const params = new URLSearchParams(location.search);
  if (params.has('nogpu')) Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
  const engine = await createEngine(params.get('backend') === 'webgpu' ? { backend: 'webgpu' } : {});
  stage('engine');
  log.textContent = `backend ${engine.backendName}${engine.fallbackReason ? ` (${engine.fallbackReason})` : ''}`;
  const model = await engine.load('lenet5', { weights: lenet5 });
  const fetched = new Uint8Array(await (await fetch(lenet5Url)).arrayBuffer());
  const fromUrl = await engine.load('lenet5', { weights: lenet5Url });
  stage('loaded');

  // Each digit is drawn 10× larger on the 280×280 pad, as a user's drawing would be.
  const pad = document.getElementById('pad') as HTMLCanvasElement;
  const ctx = pad.getContext('2d')!;
  const small = new OffscreenCanvas(mnist.width, mnist.height);
  const digits: AppResult['digits'] = [];
  const images: ImageData[] = [];
  for (const d of mnist.digits) {
    const image = new ImageData(mnist.width, mnist.height);
    d.pixels.forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
    small.getContext('2d')!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, pad.width, pad.height);
    const [c] = await classify(model, pad);
    stage(`digit ${d.index}`);
    images.push(image);
    digits.push({ index: d.index, label: d.label, predicted: c.label, urlPredicted: -1, scores: [...c.scores] });
  }
  // The other weights, all digits as one batch of ImageData.
  (await classify(fromUrl, images)).forEach((u, i) => (digits[i].urlPredicted = u.label));
  stage('batch from the URL weights');
  const result: AppResult = {
    backend: engine.backendName,
    fallbackReason: engine.fallbackReason,
    ...(engine.backendName === 'wasm' ? { threads: (engine.backend as WasmBackend).threads, threadsNote: (engine.backend as WasmBackend).threadsNote } : {}),
    sameBytes: fetched.length === lenet5.length && fetched.every((b, i) => b === lenet5[i]),
    ms: Math.round(performance.now() - start),
    stages,
    digits,
  };
  engine.dispose();
  return result;
}

main().then(
  (r) => {
    log.textContent += `\n${r.digits.map((d) => `${d.label} → ${d.predicted}`).join('\n')}`;
    window.__webcnnApp = r;
  },
  (e: unknown) => {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    log.textContent = message;
    window.__webcnnApp = { error: message, backend: '', sameBytes: false, ms: 0, stages: {}, digits: [] };
  },
);
