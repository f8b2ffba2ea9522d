// GPU vs CPU reference: activations (every kind, fused-prelude semantics) and broadcasting
// add/mul (residual adds, bias-shaped operands, scalars), plus the shape ops that make no copy.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, Model, input, apply, layers, CpuBackend, type Activation, type ExecutionPlan } from 'webcnn';
import { gpuIt, compareWithCpu, cpu } from './helpers/gpu.js';
import { Rng } from './helpers/random.js';
import { closeReport } from './helpers/compare.js';

const ACTIVATIONS: Activation[] = [
  'none', 'relu', 'relu6', 'sigmoid', 'tanh', 'scaledTanh',
  { type: 'leakyRelu', alpha: 0.1 }, { type: 'clip', min: -0.5, max: 0.7 },
];
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('activation', () => {
  const rng = new Rng(1);
  for (const act of ACTIVATIONS) {
    for (const shape of [[1], [3, 5], [2, 3, 7, 5], [1, 1, 1, 1023]]) {
      gpuIt(`activation ${JSON.stringify(act)} ${JSON.stringify(shape)}`, async (gpu) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = rng.uniform(n, -6, 6);
        await compareWithCpu(gpu, (b, t) => b.activation(t(x, shape), act), TOL);
      });
    }
  }

  gpuIt('activation handles large magnitudes without overflow', async (gpu) => {
    const x = new Float32Array([-1e30, -100, -20, 0, 20, 100, 1e30, 3e38]);
    for (const act of ['sigmoid', 'tanh', 'scaledTanh'] as const) {
      await compareWithCpu(gpu, (b, t) => b.activation(t(x, [8]), act), TOL, act);
    }
  });

  it('rejects an unknown activation by name', () => {
    const x = cpu.tensor([1, 2], [2]);
    expect(() => cpu.activation(x, 'swish' as Activation)).toThrow(InvalidArgumentError);
    expect(() => cpu.activation(x, 'swish' as Activation)).toThrow(/unknown activation "swish"/);
  });
});

describe('add / mul with broadcasting', () => {
  const rng = new Rng(2);
  const cases: [number[], number[]][] = [
    [[2, 3, 5, 7], [2, 3, 5, 7]],
    [[2, 3, 5, 7], [1, 3, 1, 1]],
    [[2, 3, 5, 7], [3, 1, 1]],
    [[2, 3, 5, 7], [7]],
    [[2, 3, 5, 7], [1]],
    [[1, 3, 1, 7], [2, 1, 5, 1]],
    [[5], [4, 1]],
    [[17, 13], [17, 13]],
  ];
  for (const op of ['add', 'mul'] as const) {
    for (const [sa, sb] of cases) {
      gpuIt(`${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, async (gpu) => {
        const a = rng.uniform(sa.reduce((p, d) => p * d, 1));
        const bv = rng.uniform(sb.reduce((p, d) => p * d, 1));
        await compareWithCpu(gpu, (b, t) => b[op](t(a, sa), t(bv, sb)), TOL);
        await compareWithCpu(gpu, (b, t) => b[op](t(bv, sb), t(a, sa)), TOL, 'swapped');
      });
    }
  }

  // A residual add and its activation: the last add's kernel applies it, one dispatch per add.
  for (const [inputs, act] of [[2, 'relu'], [3, { type: 'leakyRelu', alpha: 0.1 }], [2, 'none']] as const) {
    gpuIt(`the add layer of ${inputs} inputs with activation ${JSON.stringify(act)}: ${inputs - 1} dispatch(es), equal to the CPU`, async (gpu) => {
      const make = (backend: typeof gpu | CpuBackend) => {
        const xs = Array.from({ length: inputs }, (_, i) => input([3, 5, 7], `x${i}`));
        const y = apply(layers.add({ activation: act as Activation }), xs, 'res');
        return new Model({ inputs: xs, outputs: y, name: 'residual', backend });
      };
      const data = Array.from({ length: inputs }, () => rng.uniform(2 * 3 * 5 * 7));
      const onGpu = make(gpu);
      const plan = (await onGpu.plan(2)) as ExecutionPlan;
      expect(plan.dispatchCount).toBe(inputs - 1);
      const got = await onGpu.predictAll(data, 2);
      const ref = await make(new CpuBackend()).predictAll(data, 2);
      expect(closeReport(got[0], ref[0], TOL)).toBeNull();
      onGpu.dispose();
    });
  }

  it('names both shapes when they do not broadcast', () => {
    const a = cpu.zeros([2, 3]);
    const b = cpu.zeros([4]);
    expect(() => cpu.add(a, b)).toThrow(ShapeError);
    expect(() => cpu.add(a, b)).toThrow('add: shapes [2,3] and [4] do not broadcast');
  });
});

describe('reshape / flatten / dropout (no copy)', () => {
  gpuIt('views share data and survive the original being disposed', async (gpu) => {
    const x = gpu.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const r = gpu.reshape(x, [3, -1]);
    const f = gpu.flatten(x);
    const d = gpu.dropout(x, 0.5);
    const before = gpu.memoryInfo().buffers;
    x.dispose();
    expect(r.shape).toEqual([3, 2]);
    expect(f.shape).toEqual([1, 6]);
    expect(Array.from(await r.read())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await d.read())).toEqual([1, 2, 3, 4, 5, 6]);
    r.dispose();
    f.dispose();
    expect(gpu.memoryInfo().buffers).toBe(before);
    d.dispose();
    expect(gpu.memoryInfo().buffers).toBe(before - 1);
  });

  it('reshape refuses a different element count', () => {
    expect(() => cpu.reshape(cpu.zeros([2, 3]), [4, 2])).toThrow('reshape: cannot reshape [2,3] (6 values) to [4,2]');
  });
});
