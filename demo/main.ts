/**
 * The demo page (`npm start`): draw a digit and watch LeNet-5 read it on the GPU, see its
 * feature maps, train it live on MNIST, and explore the zoo. Public API only (`webcnn`,
 * `webcnn/train`). One backend for everything: WebGPU when the browser has an adapter, else
 * the CPU reference, said in plain words. `?backend=cpu` forces the CPU; `?warmup=0` skips
 * compiling the drawing pad's model at load (for scripts that only train or explore).
 */
import { createBackend, WebGpuBackend, type Backend } from 'webcnn';
import { DrawPanel } from './draw_panel.js';
import { TrainPanel } from './trainer.js';
import { ExplorerPanel } from './explorer.js';
import { byId, message } from './dom.js';

declare global {
  interface Window {
    /** `ready` once the page can be drawn on; `warm` once the drawing pad's model is compiled (for tests and scripts). */
    __webcnnDemo?: { ready: boolean; warm: boolean; backend: string };
  }
}

async function pickBackend(params: URLSearchParams): Promise<Backend> {
  const status = byId('backend');
  const forceCpu = params.get('backend') === 'cpu';
  const { backend, fallbackReason } = await createBackend({ backend: forceCpu ? 'cpu' : 'auto' });
  if (backend instanceof WebGpuBackend) {
    const { info } = backend.ctx;
    const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    status.textContent = `Running on WebGPU: ${adapter || 'your GPU'}.`;
    status.className = 'ok';
  } else {
    status.textContent = forceCpu
      ? 'Running on the CPU reference backend, as asked (?backend=cpu). Everything works, only slower.'
      : `No WebGPU here, so the demo runs on the CPU instead: the same results, only slower. ${fallbackReason ?? ''}`;
    status.className = 'warn';
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
