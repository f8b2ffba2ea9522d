/**
 * The demo page (`npm start`): draw a digit and watch LeNet-5 read it on the GPU, see its
 * feature maps, train it live on MNIST, and explore the zoo. Public API only (`webcnn`,
 * `webcnn/train`). One backend for everything, said in plain words with the reason: WebGPU on a
 * hardware adapter, else the CPU (the wasm backend, on as many threads as the page allows).
 * `?backend=cpu` (or `wasm`) forces the CPU, `?backend=webgpu` WebGPU on any adapter (a software
 * one too), `?backend=reference` the reference backend; `?warmup=0` skips
 * compiling the drawing pad's model at load (for scripts that only train or explore).
 */
import { createBackend, WebGpuBackend, type Backend, type WasmBackend } from 'webcnn';
import { DrawPanel } from './draw_panel.js';
import { TrainPanel } from './trainer.js';
import { ExplorerPanel } from './explorer.js';
import { byId, cpuBackendName, message } from './dom.js';

declare global {
  interface Window {
    /** `ready` once the page can be drawn on; `warm` once the drawing pad's model is compiled (for tests and scripts). */
    __webcnnDemo?: { ready: boolean; warm: boolean; backend: string };
  }
}

/** `?backend=`: the backend asked for, by its name in createBackend ('cpu' is the CPU: wasm). */
function askedBackend(params: URLSearchParams): 'auto' | 'webgpu' | 'wasm' | 'reference' {
  const asked = params.get('backend');
  if (asked === 'cpu' || asked === 'wasm') return 'wasm';
  return asked === 'webgpu' || asked === 'reference' ? asked : 'auto';
}

async function pickBackend(params: URLSearchParams): Promise<Backend> {
  const status = byId('backend');
  const asked = askedBackend(params);
  const { backend, fallbackReason } = await createBackend({ backend: asked });
  if (backend instanceof WebGpuBackend) {
    const { info } = backend.ctx;
    const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    status.textContent = `Running on WebGPU: ${adapter || 'your GPU'}${info.isSoftware ? ' (a software adapter, as asked)' : ''}.`;
    status.className = 'ok';
  } else {
    const where = cpuBackendName(backend);
    const note = backend.name === 'wasm' && (backend as WasmBackend).threadsNote ? ` ${(backend as WasmBackend).threadsNote}.` : '';
    if (asked !== 'auto') {
      status.textContent = `Running on ${where}, as asked (?backend=${params.get('backend')}).${note}`;
      status.className = 'ok';
    } else {
      status.textContent = `No WebGPU here, so the demo runs on the CPU instead, on ${where}: the same results. ${(fallbackReason ?? '').replace(/\.$/, '')}.${note}`;
      status.className = 'warn';
    }
  }
  return backend;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = await pickBackend(params);
  const draw = new DrawPanel(backend);
  new TrainPanel(backend, draw, params);
  new ExplorerPanel(backend);
  await draw.start({ warmUp: params.get('warmup') !== '0' });
  window.__webcnnDemo = { ready: true, warm: false, backend: backend.name };
  document.body.dataset.ready = 'true';
  await draw.warm;
  window.__webcnnDemo.warm = true;
}

main().catch((e: unknown) => {
  const status = document.getElementById('backend');
  if (status) {
    status.textContent = `The demo could not start: ${message(e)}`;
    status.className = 'warn';
  }
  console.error(e);
});
