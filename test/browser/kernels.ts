// Runs GPU kernels in the page through the public API and compares each with the CPU
// reference, inside WebGPU error scopes. The Playwright spec reads `window.__webcnnResult`.
import { WebGpuBackend, CpuBackend, type Backend, type Tensor } from 'webcnn';

interface CaseResult {
  name: string;
  ok: boolean;
  detail: string;
}
interface PageResult {
  adapter: { vendor: string; architecture: string; description: string } | null;
  error?: string;
  cases: CaseResult[];
}
declare global {
  interface Window {
    __webcnnResult?: PageResult;
  }
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

type Build = (b: Backend, t: (d: Float32Array, s: number[]) => Tensor) => Tensor;

const CASES: [string, Build][] = [
  ['activation scaledTanh', (b, t) => b.activation(t(random(3 * 7 * 5, 1), [3, 7, 5]), 'scaledTanh')],
  ['add broadcast', (b, t) => b.add(t(random(2 * 3 * 4 * 5, 2), [2, 3, 4, 5]), t(random(3, 3), [1, 3, 1, 1]))],
  ['conv2d 3x3 stride 2 pad 1 relu', (b, t) => b.conv2d(t(random(2 * 3 * 9 * 9, 4), [2, 3, 9, 9]), t(random(5 * 3 * 3 * 3, 5), [5, 3, 3, 3]), t(random(5, 6), [5]), { stride: 2, padding: 1, activation: 'relu' })],
  ['conv2d grouped', (b, t) => b.conv2d(t(random(1 * 4 * 7 * 7, 7), [1, 4, 7, 7]), t(random(6 * 2 * 3 * 3, 8), [6, 2, 3, 3]), undefined, { groups: 2 })],
  ['pool2d max 3/2', (b, t) => b.pool2d(t(random(2 * 3 * 9 * 9, 9), [2, 3, 9, 9]), { type: 'max', kernelSize: 3, stride: 2 })],
  ['pool2d avg pad ceil', (b, t) => b.pool2d(t(random(1 * 2 * 8 * 8, 10), [1, 2, 8, 8]), { type: 'avg', kernelSize: 3, stride: 2, padding: 1, ceilMode: true })],
  ['matmul 17x33x9', (b, t) => b.matmul(t(random(17 * 33, 11), [17, 33]), t(random(33 * 9, 12), [33, 9]))],
  ['dense 120->84 scaledTanh', (b, t) => b.dense(t(random(2 * 120, 13), [2, 120]), t(random(84 * 120, 14), [84, 120]), t(random(84, 15), [84]), 'scaledTanh')],
  ['softmax', (b, t) => b.softmax(t(random(3 * 10, 16), [3, 10]))],
  ['lrn alexnet', (b, t) => b.lrn(t(random(1 * 7 * 3 * 3, 17), [1, 7, 3, 3]), { size: 5, alpha: 1e-4, beta: 0.75, k: 2 })],
  ['batchNorm', (b, t) => b.batchNorm(t(random(2 * 3 * 4 * 4, 18), [2, 3, 4, 4]), { gamma: t(random(3, 19), [3]), beta: t(random(3, 20), [3]), mean: t(random(3, 21), [3]), variance: t(random(3, 22).map(Math.abs), [3]) })],
  ['concat channels', (b, t) => b.concat([t(random(2 * 3 * 2 * 2, 23), [2, 3, 2, 2]), t(random(2 * 5 * 2 * 2, 24), [2, 5, 2, 2])], 1)],
  ['subsample scaledTanh', (b, t) => b.subsample(t(random(2 * 6 * 8 * 8, 25), [2, 6, 8, 8]), t(random(6, 26), [6]), t(random(6, 27), [6]), { activation: 'scaledTanh' })],
  ['globalPool avg', (b, t) => b.globalPool(t(random(2 * 3 * 7 * 7, 28), [2, 3, 7, 7]), 'avg')],
  ['adaptiveAvgPool 7->3', (b, t) => b.adaptiveAvgPool(t(random(2 * 3 * 7 * 7, 31), [2, 3, 7, 7]), { outputSize: 3 })],
  ['rbf', (b, t) => b.rbf(t(random(2 * 84, 29), [2, 84]), t(random(10 * 84, 30), [10, 84]))],
];

async function runOn(b: Backend, build: Build): Promise<{ shape: readonly number[]; data: Float32Array }> {
  const made: Tensor[] = [];
  const out = build(b, (d, s) => {
    const x = b.tensor(d, s);
    made.push(x);
    return x;
  });
  const data = await out.read();
  const shape = out.shape;
  out.dispose();
  for (const m of made) m.dispose();
  return { shape, data };
}

async function main(): Promise<PageResult> {
  let gpu: WebGpuBackend;
  try {
    gpu = await WebGpuBackend.create();
  } catch (e) {
    return { adapter: null, error: (e as Error).message, cases: [] };
  }
  const cpu = new CpuBackend();
  const cases: CaseResult[] = [];
  for (const [name, build] of CASES) {
    gpu.device.pushErrorScope('validation');
    let detail = '';
    let ok = false;
    try {
      const ref = await runOn(cpu, build);
      const got = await runOn(gpu, build);
      let worst = 0;
      let bad = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const diff = Math.abs(got.data[i] - ref.data[i]);
        if (!(diff <= 1e-4 + 1e-4 * Math.abs(ref.data[i]))) bad++;
        worst = Math.max(worst, diff);
      }
      ok = bad === 0 && JSON.stringify(ref.shape) === JSON.stringify(got.shape);
      detail = `shape ${JSON.stringify(got.shape)}, ${bad} bad, worst diff ${worst}`;
    } catch (e) {
      detail = `threw: ${(e as Error).message}`;
    }
    const err = await gpu.device.popErrorScope();
    if (err) {
      ok = false;
      detail += `; WebGPU validation error: ${err.message}`;
    }
    cases.push({ name, ok, detail });
  }
  const info = gpu.ctx.info;
  gpu.dispose();
  return { adapter: { vendor: info.vendor, architecture: info.architecture, description: info.description }, cases };
}

void main().then((r) => {
  window.__webcnnResult = r;
  const log = document.getElementById('log');
  if (log) log.textContent = JSON.stringify(r, null, 2);
});
