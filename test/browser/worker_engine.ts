// Runs inside a dedicated module Worker (no DOM, no window): WebGPU from the worker's own
// navigator.gpu, the engine imported as an app would. LeNet-5 (batch 2) and a single conv2d on
// the GPU against the CPU backend in the same worker, inside a validation error scope, and
// LeNet-5 on the wasm backend (2 threads: workers of the worker). With WebGPU switched off
// (`nogpu`: navigator.gpu removed), createEngine() gives wasm and the same cases run on it.
import { WebGpuBackend, CpuBackend, createBackend, createEngine, createModel, type Backend, type Tensor, type WasmBackend } from 'webcnn';

export interface WorkerCase {
  name: string;
  ok: boolean;
  detail: string;
}
export interface WorkerResult {
  error?: string;
  /** True when this ran in a WorkerGlobalScope, not a window. */
  inWorker: boolean;
  adapter?: string;
  /** What createEngine() picked in the worker, and the wasm backend's threads. */
  engine?: { backend: string; fallbackReason?: string; threads?: number };
  cases: WorkerCase[];
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function compare(name: string, got: Float32Array, ref: Float32Array, extra = ''): WorkerCase {
  let worst = 0;
  let bad = got.length === ref.length ? 0 : Math.max(got.length, ref.length);
  ref.forEach((r, i) => {
    const d = Math.abs(got[i] - r);
    worst = Math.max(worst, d);
    if (!(d <= 1e-4 + 1e-3 * Math.abs(r))) bad++;
  });
  return { name, ok: bad === 0 && ref.length > 0, detail: `${ref.length} values, ${bad} bad, worst ${worst.toExponential(2)}${extra}` };
}

const conv = async (be: Backend) => {
  const made: Tensor[] = [be.tensor(random(2 * 3 * 9 * 9, 6), [2, 3, 9, 9]), be.tensor(random(4 * 3 * 3 * 3, 7), [4, 3, 3, 3]), be.tensor(random(4, 8), [4])];
  const y = be.conv2d(made[0], made[1], made[2], { stride: 2, padding: 1, activation: 'relu' });
  const data = await y.read();
  for (const t of [...made, y]) t.dispose();
  return data;
};

/** LeNet-5 (batch 2) on `be` against the reference backend. */
async function lenet5(be: Backend, cpu: CpuBackend, label: string): Promise<WorkerCase> {
  const x = random(2 * 32 * 32, 5);
  const model = createModel('lenet5', { backend: be, seed: 1 });
  const got = await model.predict(x, 2);
  model.dispose();
  return compare(label, got, await createModel('lenet5', { backend: cpu, seed: 1 }).predict(x, 2));
}

/** WebGPU switched off: the engine falls back to wasm, which runs LeNet-5 and the conv. */
async function runWithoutGpu(inWorker: boolean): Promise<WorkerResult> {
  Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
  const engine = await createEngine();
  const be = engine.backend;
  const cpu = new CpuBackend();
  const cases = [await lenet5(be, cpu, `lenet5 batch 2 on ${be.name}`), compare(`conv2d on ${be.name}`, await conv(be), await conv(cpu))];
  const result = { inWorker, engine: { backend: engine.backendName, fallbackReason: engine.fallbackReason, threads: (be as WasmBackend).threads }, cases };
  engine.dispose();
  return result;
}

async function run(nogpu: boolean): Promise<WorkerResult> {
  const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' && typeof (globalThis as { window?: unknown }).window === 'undefined';
  if (nogpu) return runWithoutGpu(inWorker);
  let gpu: WebGpuBackend;
  try {
    gpu = await WebGpuBackend.create();
  } catch (e) {
    return { error: (e as Error).message, inWorker, cases: [] };
  }
  const cpu = new CpuBackend();
  const cases: WorkerCase[] = [];
  gpu.device.pushErrorScope('validation');

  const x = random(2 * 32 * 32, 5);
  const onGpu = createModel('lenet5', { backend: gpu, seed: 1 });
  const onCpu = createModel('lenet5', { backend: cpu, seed: 1 });
  const before = gpu.submitCount;
  const got = await onGpu.predict(x, 2);
  cases.push(compare('lenet5 batch 2', got, await onCpu.predict(x, 2), `, ${gpu.submitCount - before} submit(s)`));
  onGpu.dispose();

  cases.push(compare('conv2d 2×3×9×9 → 4 @3×3, stride 2, padding 1, relu', await conv(gpu), await conv(cpu)));

  const err = await gpu.device.popErrorScope();
  if (err) cases.push({ name: 'validation scope', ok: false, detail: err.message });
  const adapter = `${gpu.ctx.info.vendor} ${gpu.ctx.info.architecture}`.trim();
  gpu.dispose();
  const wasm = (await createBackend({ backend: 'wasm', threads: 2 })).backend as WasmBackend;
  cases.push(await lenet5(wasm, cpu, `lenet5 batch 2 on wasm, ${wasm.threads} threads${wasm.threadsNote ? ` (${wasm.threadsNote})` : ''}`));
  wasm.dispose();
  return { inWorker, adapter, cases };
}

self.onmessage = (e: MessageEvent<{ nogpu?: boolean }>) => {
  void run(e.data?.nogpu === true).then(
    (r) => self.postMessage(r),
    (e: unknown) => self.postMessage({ error: `uncaught: ${(e as Error).stack ?? String(e)}`, inWorker: true, cases: [] } satisfies WorkerResult),
  );
};
