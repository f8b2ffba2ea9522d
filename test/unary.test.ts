// The activation table's rows and unary math ops beyond what test/activation.test.ts checks
// (GPU vs its CPU twin, derivatives, training): each row against an independent reference
// (PyTorch 1.13 in float64 at float32 inputs, printed by hand into this file), IEEE results
// (log(0) = −inf, sqrt(−1) = NaN, exp overflow, 1/±0, round half to even) bit for bit on both
// backends, the float32 erf and sin/cos against float64 over wide ranges, and ONNX's node tests
// of the unary ops through the importer.
import { describe, it, expect } from 'vitest';
import { ACTIVATIONS, InvalidArgumentError, type Activation } from 'webcnn';
import { gpuIt, cpu, getGpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { sameBits } from './helpers/bits.js';
import { nodeTests, runNodeTest } from './helpers/onnx_node.js';

/** torch.nn.functional / torch in float64 at the float32 inputs `xs` (and `pos` for log, sqrt, reciprocal). */
const REF = {
xs: [-3.70000005, -1.20000005, -0.5, -0.00999999978, 0, 0.300000012, 1.10000002, 2.5, 4.19999981],
  gelu: [-0.000398858944, -0.138083599, -0.154268769, -0.00496010633, 0, 0.185373435, 0.950767359, 2.48447584, 4.19994376],
  geluTanh: [-0.000271805966, -0.138297225, -0.15428599, -0.00496010633, 0, 0.185370932, 0.950581072, 2.48491573, 4.19997371],
  silu: [-0.0892699762, -0.277770261, -0.188770334, -0.0049750001, 0, 0.172332763, 0.825286139, 2.31035455, 4.13794887],
  elu: [-0.682693532, -0.489164062, -0.275428538, -0.00696511622, 0, 0.300000012, 1.10000002, 2.5, 4.19999981],
  selu: [-1.75549765, -1.25785044, -0.708244813, -0.0179102989, 0, 0.360000014, 1.32000003, 3, 5.03999977],
  celu: [-0.792157076, -0.621495883, -0.371790857, -0.00993775938, 0, 0.300000012, 1.10000002, 2.5, 4.19999981],
  softplus: [0.0244228448, 0.263282456, 0.474076984, 0.688159681, 0.693147181, 0.854355251, 1.38733534, 2.57888973, 4.21488407],
  softsign: [-0.787234045, -0.545454555, -0.333333333, -0.00990098988, 0, 0.230769238, 0.523809529, 0.714285714, 0.807692301],
  mish: [-0.0903465644, -0.308835796, -0.220743775, -0.00596798433, 0, 0.208001382, 0.970841605, 2.4713923, 4.19816672],
  thresholdedRelu: [0, 0, 0, 0, 0, 0, 1.10000002, 2.5, 4.19999981],
  exp: [0.0247235253, 0.301194198, 0.60653066, 0.990049834, 1, 1.34985882, 3.0041661, 12.182494, 66.6863183],
  abs: [3.70000005, 1.20000005, 0.5, 0.00999999978, 0, 0.300000012, 1.10000002, 2.5, 4.19999981],
  neg: [3.70000005, 1.20000005, 0.5, 0.00999999978, -0, -0.300000012, -1.10000002, -2.5, -4.19999981],
  floor: [-4, -2, -1, -1, 0, 0, 1, 2, 4],
  ceil: [-3, -1, -0, -0, 0, 1, 2, 3, 5],
  round: [-4, -1, -0, -0, 0, 0, 1, 2, 4],
  sign: [-1, -1, -1, -1, 0, 1, 1, 1, 1],
  erf: [-0.999999833, -0.910313991, -0.520499878, -0.0112834153, 0, 0.328626772, 0.880205078, 0.999593048, 0.999999997],
  sin: [0.529836181, -0.932039103, -0.479425539, -0.00999983311, 0, 0.295520218, 0.891207371, 0.598472144, -0.871575679],
  cos: [-0.848100006, 0.36235771, 0.877582562, 0.99995, 1, 0.955336486, 0.4535961, -0.801143616, -0.490260988],
  not: [0, 0, 0, 0, 1, 0, 0, 0, 0],
  pos: [0.00999999978, 0.300000012, 1.10000002, 2.5, 4.19999981],
  log: [-4.60517021, -1.20397276, 0.0953102015, 0.916290732, 1.43508448],
  sqrt: [0.0999999989, 0.547722568, 1.04880886, 1.58113883, 2.04939011],
  reciprocal: [100.000002, 3.3333332, 0.909090889, 0.4, 0.238095249],
} as const;

/** The constants each parameterised reference used. */
const ARGS: Record<string, Activation> = {
  elu: { type: 'elu', alpha: 0.7 },
  selu: { type: 'selu', alpha: 1.5, gamma: 1.2 },
  celu: { type: 'celu', alpha: 0.8 },
  thresholdedRelu: { type: 'thresholdedRelu', alpha: 0.5 },
};

const TOL = { atol: 1e-6, rtol: 2e-6 };

describe('unary rows against PyTorch', () => {
  const rows = Object.keys(REF).filter((k) => !['xs', 'pos', 'log', 'sqrt', 'reciprocal'].includes(k));
  for (const name of rows) {
    const act = ARGS[name] ?? (name as Activation);
    const want = (REF as Record<string, readonly number[]>)[name];
    gpuIt(`${name}: CPU and GPU equal PyTorch at ${REF.xs.length} points`, async (gpu) => {
      for (const b of [cpu, gpu]) {
        const x = b.tensor(REF.xs, [REF.xs.length]);
        const y = b.activation(x, act);
        expectClose(await y.read(), want, TOL, `${name} on ${b.name}`);
        x.dispose();
        y.dispose();
      }
    });
  }
  for (const name of ['log', 'sqrt', 'reciprocal'] as const) {
    gpuIt(`${name}: CPU and GPU equal PyTorch at positive points`, async (gpu) => {
      for (const b of [cpu, gpu]) {
        const x = b.tensor(REF.pos, [REF.pos.length]);
        const y = b.activation(x, name);
        expectClose(await y.read(), REF[name], TOL, `${name} on ${b.name}`);
        x.dispose();
        y.dispose();
      }
    });
  }

  it("gelu's object form picks the tanh approximation, and refuses an unknown one", async () => {
    const x = cpu.tensor(REF.xs, [REF.xs.length]);
    expectClose(await cpu.activation(x, { type: 'gelu', approximate: 'tanh' }).read(), REF.geluTanh, TOL, 'gelu tanh');
    expectClose(await cpu.activation(x, { type: 'gelu', approximate: 'none' }).read(), REF.gelu, TOL, 'gelu none');
    expect(() => cpu.activation(x, { type: 'gelu', approximate: 'sigmoid' } as unknown as Activation)).toThrow(InvalidArgumentError);
    expect(() => cpu.activation(x, { type: 'celu', alpha: 0 })).toThrow('celu needs alpha != 0');
  });
});

describe('IEEE results, bit for bit on both backends', () => {
  const inf = Infinity;
  // [activation, x, f(x)]
  const CASES: [Activation, number, number][] = [
    ['log', 0, -inf], ['log', -0, -inf], ['log', -1, NaN], ['log', 1, 0], ['log', inf, inf],
    ['sqrt', -1, NaN], ['sqrt', 0, 0], ['sqrt', 4, 2], ['sqrt', inf, inf],
    ['exp', 89, inf], ['exp', 88.72283935546875, inf], ['exp', 0, 1], ['exp', -inf, 0],
    ['reciprocal', 0, inf], ['reciprocal', -0, -inf], ['reciprocal', 4, 0.25],
    ['round', 2.5, 2], ['round', -2.5, -2], ['round', 0.5, 0], ['round', 1.5, 2], ['round', -0.5, -0], ['round', 3.7, 4],
    ['floor', -0.5, -1], ['ceil', -0.5, -0], ['sign', 0, 0], ['sign', -3, -1], ['abs', -0, 0], ['neg', 0, -0],
    ['erf', 0, 0], ['erf', 5, 1], ['erf', -5, -1], ['softplus', 100, 100], ['softplus', 0, Math.LN2], ['elu', -100, -1],
    ['not', 0, 1], ['not', 2, 0], ['not', -0, 1],
  ];
  for (const b of ['cpu', 'gpu'] as const) {
    gpuIt(`on the ${b === 'cpu' ? 'CPU' : 'GPU'}`, async (gpu) => {
      const be = b === 'cpu' ? cpu : gpu;
      for (const [act, x, want] of CASES) {
        const t = be.tensor([x], [1]);
        const y = be.activation(t, act);
        const got = await y.read();
        // The GPU's NaN is the canonical quiet NaN (0x7fc00000); the CPU's is whichever its float64 NaN rounds to.
        const ok = b === 'cpu' && Number.isNaN(want) ? Number.isNaN(got[0]) : sameBits(got, Float32Array.of(want));
        expect(ok, `${JSON.stringify(act)}(${x}) = ${got[0]}, want ${want}`).toBe(true);
        t.dispose();
        y.dispose();
      }
    });
  }
});

describe('float32 erf, sin and cos on the GPU against float64', () => {
  gpuIt('erf over [-6, 6]: 2.5e-7 absolute, 3e-7 relative below |x| = 1', async () => {
    const gpu = await getGpu();
    const xs = Float32Array.from({ length: 24001 }, (_, i) => -6 + i * 0.0005);
    const [got, want] = await Promise.all([gpu, cpu].map((b) => b.activation(b.tensor(xs, [xs.length]), 'erf').read()));
    let worstAbs = 0;
    let worstRel = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = Math.abs(got[i] - want[i]);
      worstAbs = Math.max(worstAbs, d);
      if (Math.abs(xs[i]) < 1 && want[i] !== 0) worstRel = Math.max(worstRel, d / Math.abs(want[i]));
    }
    expect(worstAbs).toBeLessThan(2.5e-7);
    expect(worstRel).toBeLessThan(3e-7);
  });

  it('the CPU reference erf (float64) equals known values to 1e-15', () => {
    // Python's math.erf.
    const known: [number, number][] = [[0.5, 0.5204998778130465], [1.5, 0.9661051464753108], [3, 0.9999779095030014], [-2.2, -0.9981371537020182], [0.001, 0.0011283787909692365], [2.5, 0.999593047982555]];
    for (const [x, v] of known) expect(Math.abs(ACTIVATIONS.erf.cpu(x) - v), `erf(${x})`).toBeLessThan(1e-15);
  });

  gpuIt('sin and cos over [-1000, 1000] to 1e-6 absolute', async () => {
    const gpu = await getGpu();
    const xs = Float32Array.from({ length: 20001 }, (_, i) => -1000 + i * 0.1 + 0.0123);
    for (const [act, f] of [['sin', Math.sin], ['cos', Math.cos]] as const) {
      const got = await gpu.activation(gpu.tensor(xs, [xs.length]), act).read();
      let worst = 0;
      for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(got[i] - f(xs[i])));
      expect(worst, act).toBeLessThan(1e-6);
    }
  });
});

/** Why a node test may fail: ONNX features outside the importer's scope (opsets before 7, inputs that are not float32). */
const OUT_OF_SCOPE = /opset [1-6] is not supported|integer tensor|is (FLOAT16|DOUBLE|BOOL); computed inputs must be FLOAT/;

const UNARY_TESTS = nodeTests([
  'abs', 'ceil', 'celu', 'cos', 'elu', 'erf', 'exp', 'floor', 'log', 'neg', 'reciprocal', 'round', 'selu', 'sign', 'sin', 'softplus', 'softsign',
  'sqrt', 'thresholdedrelu', 'gelu', 'mish', 'hardswish', 'hardsigmoid', 'leakyrelu', 'relu', 'sigmoid', 'tanh',
]);

describe('ONNX node tests of the unary ops', () => {
  gpuIt('each passes, or fails for a reason outside these ops', async () => {
    const gpu = await getGpu();
    const failed: string[] = [];
    let passed = 0;
    for (const name of UNARY_TESTS) {
      const why = await runNodeTest(name, gpu, { atol: 1e-5, rtol: 1e-3 });
      if (why === null) passed++;
      else if (!OUT_OF_SCOPE.test(why)) failed.push(`${name}: ${why}`);
    }
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThanOrEqual(30);
  }, 300_000);
});
