// Placeholder demo: shows the adapter and times one conv2d on the GPU against the CPU
// reference, through the public API only. The LeNet drawing pad replaces it (issue 6).
import { createBackend, CpuBackend, WebGpuBackend, type Backend } from 'webcnn';

const adapterEl = document.getElementById('adapter')!;
const resultEl = document.getElementById('result')!;

function random(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
}

async function conv(b: Backend, x: Float32Array, w: Float32Array): Promise<[Float32Array, number]> {
  const t0 = performance.now();
  const xt = b.tensor(x, [1, 3, 32, 32]);
  const wt = b.tensor(w, [16, 3, 5, 5]);
  const y = b.conv2d(xt, wt, undefined, { padding: 2, activation: 'relu' });
  const out = await y.read();
  const ms = performance.now() - t0;
  for (const t of [xt, wt, y]) t.dispose();
  return [out, ms];
}

async function main(): Promise<void> {
  const { backend, fallbackReason } = await createBackend();
  if (backend instanceof WebGpuBackend) {
    const { info, limits } = backend.ctx;
    adapterEl.textContent = `${info.vendor} ${info.architecture} ${info.description}\nmaxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`;
  } else {
    adapterEl.textContent = `No WebGPU here, running on the CPU: ${fallbackReason ?? ''}`;
  }
  const cpu = new CpuBackend();
  const run = async () => {
    const x = random(3 * 32 * 32);
    const w = random(16 * 3 * 5 * 5);
    const [got, ms] = await conv(backend, x, w);
    const [ref, cpuMs] = await conv(cpu, x, w);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
    resultEl.textContent = `conv2d [1,3,32,32] * [16,3,5,5], pad 2, relu\n${backend.name}: ${ms.toFixed(1)} ms   cpu: ${cpuMs.toFixed(1)} ms\nlargest difference from the CPU reference: ${worst.toExponential(2)}`;
  };
  document.getElementById('run')!.addEventListener('click', () => void run());
  await run();
}

void main();
