// Starts a module Worker that imports `webcnn`, runs LeNet-5 and a conv on WebGPU (with `?nogpu`:
// on what createEngine() gives with WebGPU switched off) inside the worker and compares them with
// the CPU backend there; the Playwright spec reads the posted
// result from `window.__webcnnWorker`.
import type { WorkerResult } from './worker_engine.js';

declare global {
  interface Window {
    __webcnnWorker?: WorkerResult;
  }
}

const worker = new Worker(new URL('./worker_engine.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<WorkerResult>) => {
  window.__webcnnWorker = e.data;
  const log = document.getElementById('log');
  if (log) log.textContent = JSON.stringify(e.data, null, 2);
  worker.terminate();
};
worker.onerror = (e) => {
  window.__webcnnWorker = { error: `worker error: ${e.message}`, inWorker: false, cases: [] };
};
worker.postMessage({ nogpu: new URLSearchParams(location.search).has('nogpu') });
