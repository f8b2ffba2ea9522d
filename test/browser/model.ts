// Zoo models and a training step in the page: LeNet-5 and a small ResNet forward on WebGPU
// against the CPU reference (one submit per predict), and a few LeNet training steps whose
// loss falls. The Playwright spec reads `window.__webcnnModels`.
import { WebGpuBackend, CpuBackend, createModel } from 'webcnn';
import { fit } from 'webcnn/train';

interface ModelCase {
  name: string;
  ok: boolean;
  detail: string;
}
declare global {
  interface Window {
    __webcnnModels?: { error?: string; cases: ModelCase[] };
  }
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

async function main(): Promise<{ error?: string; cases: ModelCase[] }> {
  let gpu: WebGpuBackend;
  try {
    gpu = await WebGpuBackend.create();
  } catch (e) {
    return { error: (e as Error).message, cases: [] };
  }
  const cpu = new CpuBackend();
  const cases: ModelCase[] = [];
  const forward = async (name: 'lenet5' | 'resnet18', size: number, batch: number) => {
    gpu.device.pushErrorScope('validation');
    const x = random(batch * (name === 'lenet5' ? 1 : 3) * size * size, 7);
    const onGpu = createModel(name, { backend: gpu, inputSize: size, numClasses: 10, seed: 1 });
    const onCpu = createModel(name, { backend: cpu, inputSize: size, numClasses: 10, seed: 1 });
    const ref = await onCpu.predict(x, batch);
    await onGpu.plan(batch);
    const before = gpu.submitCount;
    const got = await onGpu.predict(x, batch);
    const submits = gpu.submitCount - before;
    let worst = 0;
    let bad = 0;
    ref.forEach((r, i) => {
      const d = Math.abs(got[i] - r);
      worst = Math.max(worst, d);
      if (!(d <= 1e-4 + 1e-3 * Math.abs(r))) bad++;
    });
    const err = await gpu.device.popErrorScope();
    onGpu.dispose();
    cases.push({ name: `${name} ${size}² batch ${batch}`, ok: bad === 0 && submits === 1 && !err, detail: `${bad} bad, worst ${worst}, ${submits} submit(s)${err ? `, ${err.message}` : ''}` });
  };
  await forward('lenet5', 32, 2);
  await forward('resnet18', 32, 1);

  gpu.device.pushErrorScope('validation');
  const model = createModel('lenet', { backend: gpu, seed: 2 });
  const n = 64;
  const images = random(n * 28 * 28, 3);
  const labels = Float32Array.from({ length: n }, (_, i) => i % 10);
  const losses: number[] = [];
  await fit(model, { images, labels }, { epochs: 3, batchSize: n, optimizer: { type: 'adam', lr: 5e-3 }, callbacks: { onEpochEnd: (e) => void losses.push(e.loss) } });
  const err = await gpu.device.popErrorScope();
  model.dispose();
  cases.push({ name: 'lenet training steps', ok: losses[2] < losses[0] && !err, detail: `losses ${losses.map((l) => l.toFixed(4)).join(' → ')}${err ? `, ${err.message}` : ''}` });
  gpu.dispose();
  return { cases };
}

void main().then((r) => {
  window.__webcnnModels = r;
  const log = document.getElementById('log');
  if (log) log.textContent = JSON.stringify(r, null, 2);
});
