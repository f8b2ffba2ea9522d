// Every activation of the table that generates the WGSL `activate()`/`activation_grad()`
// switches and the CPU twin (ACTIVATIONS): forward GPU vs CPU standalone and fused into conv2d,
// dense and batch norm; backward GPU vs CPU from the value its gradient reads (output or
// input); the derivative against finite differences; and a small network with it fused,
// trained on the GPU equal to the CPU and its gradients equal to finite differences. A row
// added to the table is covered here without touching this file. Rows defined on part of the
// reals (log, sqrt, reciprocal: `domain`) are differentiated there and trained behind a
// sigmoid; piecewise-constant rows (`stepwise`) skip the finite differences of training, where
// a step within the perturbation would dominate.
import { describe, it, expect } from 'vitest';
import { ACTIVATIONS, exampleActivations, Sequential, type ActivationDef, layers, CpuBackend, type Activation, type Backend, type TrainingBackend } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { gpuIt, compareWithCpu, cpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };
const label = (act: Activation): string => (typeof act === 'string' ? act : JSON.stringify(act));
const rowOf = (act: Activation): ActivationDef => ACTIVATIONS[(typeof act === 'string' ? act : act.type) as keyof typeof ACTIVATIONS];
const gradFrom = (act: Activation): 'x' | 'y' => rowOf(act).grad.from;

describe('activations: the table, on both backends', () => {
  it('has unique codes and an example for every row', () => {
    const codes = Object.values(ACTIVATIONS).map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain(0);
    expect(exampleActivations()).toHaveLength(codes.length);
  });

  const rng = new Rng(11);
  for (const act of exampleActivations()) {
    gpuIt(`${label(act)}: forward, standalone and fused into conv2d, dense and batch norm`, async (gpu) => {
      for (const shape of [[1], [3, 5], [2, 3, 7, 5], [1, 1, 1, 1023]]) {
        const x = rng.uniform(shape.reduce((a, b) => a * b, 1), -6, 6);
        await compareWithCpu(gpu, (b, t) => b.activation(t(x, shape), act), TOL, `activation ${JSON.stringify(shape)}`);
      }
      // Fused, a row with a pole or a log at 0 sees the producer's float32 rounding magnified
      // by 1/|x| where a sum lands near 0: looser there.
      const fusedTol = rowOf(act).domain ? { atol: 1e-4, rtol: 1e-3 } : TOL;
      const x = rng.uniform(2 * 3 * 7 * 6, -2, 2);
      const w = rng.uniform(5 * 3 * 3 * 3, -1, 1);
      const bias = rng.uniform(5, -1, 1);
      await compareWithCpu(gpu, (b, t) => b.conv2d(t(x, [2, 3, 7, 6]), t(w, [5, 3, 3, 3]), t(bias, [5]), { padding: 1, stride: [2, 1], activation: act }), fusedTol, 'conv2d');
      const xd = rng.uniform(3 * 17, -2, 2);
      const wd = rng.uniform(9 * 17, -1, 1);
      const bd = rng.uniform(9, -1, 1);
      await compareWithCpu(gpu, (b, t) => b.dense(t(xd, [3, 17]), t(wd, [9, 17]), t(bd, [9]), act), fusedTol, 'dense');
      const [gamma, beta, mean, variance] = [rng.uniform(3, 0.5, 2), rng.uniform(3), rng.uniform(3), rng.uniform(3, 0.5, 2)];
      await compareWithCpu(
        gpu,
        (b, t) => b.batchNorm(t(x, [2, 3, 7, 6]), { gamma: t(gamma, [3]), beta: t(beta, [3]), mean: t(mean, [3]), variance: t(variance, [3]), activation: act }),
        fusedTol,
        'batchNorm',
      );
    });

    gpuIt(`${label(act)}: backward from its ${gradFrom(act) === 'x' ? 'input' : 'output'}, GPU vs CPU`, async (gpu) => {
      for (const shape of [[7], [2, 3, 5, 5]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = rng.uniform(n, -6, 6);
        const dy = rng.uniform(n, -1, 1);
        const saved = gradFrom(act) === 'x' ? x : await cpu.activation(cpu.tensor(x, shape), act).read();
        await compareWithCpu(gpu, (b, t) => (b as TrainingBackend).activationBackward(t(saved, shape), t(dy, shape), act), TOL, `backward ${JSON.stringify(shape)}`);
      }
    });

    it(`${label(act)}: derivative equals finite differences away from kinks`, async () => {
      const [lo, span] = rowOf(act).domain === 'positive' ? [0.3, 6.7] : [-7, 14];
      const xs = new Float32Array(Array.from({ length: 97 }, (_, i) => lo + (span * i) / 96 + 0.0123));
      const h = 1e-2;
      const f = (d: number) => cpu.activation(cpu.tensor(xs.map((v) => v + d), [xs.length]), act).read();
      const [yMinus, y0, yPlus] = await Promise.all([f(-h), f(0), f(h)]);
      const saved = gradFrom(act) === 'x' ? xs : y0;
      const g = await cpu.activationBackward(cpu.tensor(saved, [xs.length]), cpu.tensor(new Float32Array(xs.length).fill(1), [xs.length]), act).read();
      let checked = 0;
      for (let i = 0; i < xs.length; i++) {
        const left = (y0[i] - yMinus[i]) / h;
        const right = (yPlus[i] - y0[i]) / h;
        if (Math.abs(left - right) > 0.05 * Math.max(1, Math.abs(left))) continue; // a kink (or a steep bend) within h
        const numeric = (yPlus[i] - yMinus[i]) / (2 * h);
        expect(Math.abs(g[i] - numeric), `x = ${xs[i]}: analytic ${g[i]}, numeric ${numeric}`).toBeLessThanOrEqual(1e-2 + 1e-2 * Math.abs(numeric));
        checked++;
      }
      expect(checked).toBeGreaterThan(60);
    });
  }
});

/**
 * x (6) → dense(5, act) → dense(3): small enough for finite differences of every parameter. An
 * activation with a domain follows a sigmoid instead, as a layer of its own, so its inputs stay in (0, 1).
 */
function tiny(backend: Backend, act: Activation): Sequential {
  const m = new Sequential({ inputShape: [6], backend, seed: 4 });
  if (rowOf(act).domain) m.add(layers.dense({ units: 5, activation: 'sigmoid' }), 'hidden').add(layers.activation(act), 'act');
  else m.add(layers.dense({ units: 5, activation: act }), 'hidden');
  return m.add(layers.dense({ units: 3 }), 'out');
}

describe('activations fused into a trained layer', () => {
  const rng = new Rng(12);
  const data = { images: rng.uniform(4 * 6, -3, 3), labels: new Float32Array([0, 2, 1, 2]) };
  for (const act of exampleActivations()) {
    gpuIt(`${label(act)}: two SGD steps on the GPU give the CPU's weights`, async (gpu) => {
      const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
      const onGpu = tiny(gpu, act);
      const onCpu = tiny(new CpuBackend(), act);
      await fit(onGpu, data, opts);
      await fit(onCpu, data, opts);
      const want = onCpu.getWeights();
      for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, k);
    });

    // A piecewise-constant activation has nothing to compare: its derivative is 0 (checked above).
    if (rowOf(act).stepwise) continue;
    it(`${label(act)}: the trained gradient equals finite differences (CPU)`, async () => {
      const backend = new CpuBackend();
      const model = tiny(backend, act);
      const before = model.getWeights();
      await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      const lossAt = async (key: string, i: number, delta: number) => {
        const m = tiny(backend, act);
        const w = new Map(before);
        const v = before.get(key)!.slice();
        v[i] += delta;
        m.setWeights(w.set(key, v));
        return (await evaluate(m, data)).loss;
      };
      for (const [key, w0] of before) {
        for (let i = 0; i < w0.length; i += 3) {
          const analytic = w0[i] - after.get(key)![i];
          const numeric = ((await lossAt(key, i, 1e-3)) - (await lossAt(key, i, -1e-3))) / 2e-3;
          expect(Math.abs(analytic - numeric), `${key}[${i}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
        }
      }
    });
  }
});
