// Broadcasting binary ops (the BINARY_OPS table: sub, div, pow, max, min, mod, comparisons,
// logic and the gradient helpers; add and mul share the kernel), where, prelu and log-softmax:
// every op GPU vs CPU over random broadcast shapes of ranks 0–5; IEEE edge cases bit for bit on
// the GPU; the layers' gradients against finite differences and two SGD steps GPU = CPU; and
// ONNX's node tests of the ops through the importer.
import { describe, it, expect } from 'vitest';
import { BINARY, BINARY_OPS, WHERE, Model, CpuBackend, input, apply, layers, InvalidArgumentError, type Backend, type BinaryOpName, type LayerConfig } from 'webcnn';
import { fit, evaluate } from 'webcnn/train';
import { gpuIt, compareWithCpu, getGpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { sameBits } from './helpers/bits.js';
import { Rng } from './helpers/random.js';
import { nodeTests, runNodeTest } from './helpers/onnx_node.js';
import { readFileSync } from 'node:fs';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Random output shape of rank 0–5 and two (or more) operand shapes that broadcast to it: leading axes dropped, some sizes 1. */
function broadcastShapes(rng: Rng, operands: number): { out: number[]; ins: number[][] } {
  const rank = rng.int(0, 5);
  const out = Array.from({ length: rank }, (_, i) => (i === 0 ? rng.int(2, 3) : rng.pick([1, 2, 3, 5, 7])));
  const ins = Array.from({ length: operands }, () => {
    const drop = rng.int(0, rank);
    return out.slice(drop).map((d) => (rng.next() < 0.3 ? 1 : d));
  });
  ins[rng.int(0, operands - 1)] = [...out]; // one operand has the whole shape, so the output is `out`
  return { out, ins };
}

/** Operand values where each op is well defined and well conditioned; ties common where they matter. */
function operands(rng: Rng, op: BinaryOpName, na: number, nb: number): [Float32Array, Float32Array] {
  const ints = (n: number) => Float32Array.from({ length: n }, () => rng.int(-1, 2));
  const awayFromZero = (n: number) => rng.uniform(n, 0.5, 2).map((v) => (rng.next() < 0.5 ? -v : v));
  switch (op) {
    case 'equal': case 'less': case 'lessOrEqual': case 'greater': case 'greaterOrEqual':
    case 'and': case 'or': case 'xor': case 'maxMask':
      return [ints(na), ints(nb)];
    case 'div': case 'mod': case 'floorMod': case 'truncDiv':
      return [rng.uniform(na, -5, 5), awayFromZero(nb)];
    case 'pow': case 'powBaseGrad':
      return [rng.uniform(na, 0.1, 3), rng.uniform(nb, -3, 3)];
    default:
      return [rng.uniform(na, -3, 3), rng.uniform(nb, -3, 3)];
  }
}

describe('binary ops: GPU vs CPU with broadcasting', () => {
  const rng = new Rng(31);
  for (const op of Object.keys(BINARY_OPS) as BinaryOpName[]) {
    gpuIt(`${op}: 8 random broadcasts of ranks 0–5`, async (gpu) => {
      for (let k = 0; k < 8; k++) {
        const { ins: [sa, sb] } = broadcastShapes(rng, 2);
        const [a, b] = operands(rng, op, numel(sa), numel(sb));
        await compareWithCpu(gpu, (be, t) => be.prim(BINARY, [t(a, sa), t(b, sb)], { op }), { atol: 1e-6, rtol: 1e-5 }, `${op} ${JSON.stringify(sa)} ∘ ${JSON.stringify(sb)}`);
      }
    });
  }

  gpuIt('pow of negative bases with integer exponents, GPU vs CPU', async (gpu) => {
    const a = rng.uniform(60, -3, -0.1);
    const b = Float32Array.from({ length: 60 }, () => rng.int(-4, 5));
    await compareWithCpu(gpu, (be, t) => be.prim(BINARY, [t(a, [3, 20]), t(b, [3, 20])], { op: 'pow' }), { atol: 1e-6, rtol: 1e-5 }, 'pow');
  });

  gpuIt('where: 10 random broadcasts of condition, a and b', async (gpu) => {
    for (let k = 0; k < 10; k++) {
      const { ins: [sc, sa, sb] } = broadcastShapes(rng, 3);
      const c = Float32Array.from({ length: numel(sc) }, () => rng.int(0, 1) * rng.pick([1, -2]));
      const [a, b] = [rng.uniform(numel(sa)), rng.uniform(numel(sb))];
      await compareWithCpu(gpu, (be, t) => be.prim(WHERE, [t(c, sc), t(a, sa), t(b, sb)], {}), { atol: 0, rtol: 0 }, `where ${JSON.stringify([sc, sa, sb])}`);
    }
  });

  gpuIt('with a fused activation', async (gpu) => {
    const [a, b] = [rng.uniform(2 * 3 * 5, -2, 2), rng.uniform(5, 0.5, 2)];
    for (const activation of ['relu', 'gelu', { type: 'elu', alpha: 0.5 }] as const) {
      await compareWithCpu(gpu, (be, t) => be.prim(BINARY, [t(a, [2, 3, 5]), t(b, [5])], { op: 'div', activation }), { atol: 1e-6, rtol: 1e-5 }, `div ${JSON.stringify(activation)}`);
    }
  });

  it('an activation after a binary layer is fused into it', () => {
    const x = input([4], 'x');
    const d = apply(layers.binary('sub'), [x, apply(layers.dense({ units: 4 }), x, 'fc')], 'diff');
    const m = new Model({ inputs: x, outputs: apply(layers.activation('relu'), d, 'relu'), name: 'f', backend: new CpuBackend() });
    expect(m.fusions()).toEqual(['relu → diff']);
  });

  it('refuses shapes that do not broadcast, naming them', () => {
    const cpu = new CpuBackend();
    expect(() => cpu.prim(BINARY, [cpu.zeros([2, 3]), cpu.zeros([4])], { op: 'sub' })).toThrow('sub: shapes [2,3] and [4] do not broadcast');
  });
});

describe('binary ops: IEEE results on the GPU, bit for bit', () => {
  const inf = Infinity;
  // [op, a, b, result]: what C / IEEE 754 give and WGSL leaves to the implementation.
  const CASES: [BinaryOpName, number, number, number][] = [
    ['div', 1, 0, inf], ['div', -1, 0, -inf], ['div', 1, -0, -inf], ['div', 0, 0, NaN], ['div', 6, 3, 2],
    ['pow', -8, 1 / 3, NaN], ['pow', -2, 3, -8], ['pow', -2, 2, 4], ['pow', -2, -1, -0.5], ['pow', 0, -1, inf], ['pow', 0, -2.5, inf],
    ['pow', 0, 0, 1], ['pow', NaN, 0, 1], ['pow', 2, 0.5, Math.SQRT2], ['pow', 3, 2, 9], ['pow', 2, 10, 1024], ['pow', 10, 39, inf], ['pow', -3, 3, -27],
    ['mod', 5, 0, NaN], ['mod', -5, 3, -2], ['mod', 5, -3, 2], ['mod', 5.5, 2, 1.5],
    ['floorMod', 5, 0, NaN], ['floorMod', -5, 3, 1], ['floorMod', 5, -3, -1], ['floorMod', -5, -3, -2], ['floorMod', 6, -3, 0], ['floorMod', 7, 3, 1], ['floorMod', -4, 7, 3],
    ['truncDiv', 7, 2, 3], ['truncDiv', -7, 2, -3], ['truncDiv', 7, -2, -3], ['truncDiv', 6, 3, 2], ['truncDiv', 16777215, 3, 5592405], ['truncDiv', 1, 0, inf],
    ['max', -0.5, 2, 2], ['min', -0.5, 2, -0.5], ['max', NaN, 2, NaN], ['max', 2, NaN, NaN], ['min', NaN, -inf, NaN], ['min', 2, NaN, NaN],
    ['max', -inf, 2, 2], ['min', inf, 2, 2], ['equal', 2, 2, 1], ['less', 1, 2, 1], ['xor', 3, 0, 1], ['and', 3, -1, 1], ['or', 0, 0, 0],
  ];
  gpuIt('div by ±0, 0/0, pow of negative bases and at 0, fmod and floorMod by 0 and of mixed signs, truncDiv, max and min of NaN', async (gpu) => {
    for (const [op, a, b, want] of CASES) {
      const x = gpu.tensor([a], [1]);
      const y = gpu.tensor([b], [1]);
      const out = gpu.prim(BINARY, [x, y], { op });
      const got = await out.read();
      expect(sameBits(got, Float32Array.of(want)), `${op}(${a}, ${b}) = ${got[0]}, want ${want}`).toBe(true);
      for (const t of [x, y, out]) t.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Layers: gradients and training

/**
 * x (6) → a = dense(5, tanh), b = dense(1 or 5, …) → the layer under test (a, b) → dense(3). The
 * second operand broadcasts (units 1) in half the cases, so its gradient is summed.
 */
interface Case {
  name: string;
  /** The layer, applied to (a, b) or to a alone. */
  layer: LayerConfig;
  /** Activation of b, to keep it in the op's domain (a positive divisor, …). */
  bAct?: 'sigmoid' | 'tanh';
  bUnits?: number;
  /** a's activation (default tanh): sigmoid keeps a base positive. */
  aAct?: 'sigmoid' | 'tanh';
  /** The layer takes a only (prelu, softmax, a constant operand). */
  unary?: boolean;
  /** Inputs of a three-operand layer: a > b as condition, a, b. */
  where?: boolean;
  /** The model's output shape is fed through a reshape (softmax on a middle axis). */
  reshape?: number[];
}

const CASES: Case[] = [
  { name: 'sub', layer: layers.binary('sub'), bUnits: 1 },
  { name: 'div', layer: layers.binary('div'), bAct: 'sigmoid' },
  { name: 'div (broadcast divisor)', layer: layers.binary('div'), bAct: 'sigmoid', bUnits: 1 },
  { name: 'pow', layer: layers.binary('pow'), aAct: 'sigmoid' },
  { name: 'max', layer: layers.binary('max') },
  { name: 'min (broadcast)', layer: layers.binary('min'), bUnits: 1 },
  { name: 'div with a fused relu', layer: { type: 'binary', op: 'div', activation: 'relu' }, bAct: 'sigmoid' },
  { name: 'pow with a fused tanh', layer: { type: 'binary', op: 'pow', activation: 'tanh' }, aAct: 'sigmoid' },
  { name: 'sub with a fused gelu (its gradient reads the input)', layer: { type: 'binary', op: 'sub', activation: 'gelu' } },
  { name: 'less (no gradient through it) times a', layer: layers.binary('less') },
  { name: 'where(a > b, a, b)', layer: layers.where(), where: true },
  { name: 'prelu per feature', layer: layers.prelu({ shape: [5], init: 0.1 }), unary: true },
  { name: 'prelu shared', layer: layers.prelu(), unary: true },
  { name: 'constant divided by x', layer: { type: 'binary', op: 'div', shape: [5], constant: 'left' }, aAct: 'sigmoid', unary: true },
  { name: 'x to a constant power', layer: { type: 'binary', op: 'pow', shape: [1], constant: 'right' }, aAct: 'sigmoid', unary: true },
  { name: 'logSoftmax', layer: layers.logSoftmax(), unary: true },
  { name: 'softmax on a middle axis', layer: layers.softmax(1), unary: true, reshape: [5, 1] },
  { name: 'logSoftmax on a middle axis', layer: layers.logSoftmax(1), unary: true, reshape: [5, 1] },
];

function net(backend: Backend, c: Case): Model {
  const x = input([6], 'x');
  const a = apply(layers.dense({ units: 5, activation: c.aAct ?? 'tanh' }), x, 'a');
  let y;
  if (c.unary) {
    const pre = c.reshape ? apply(layers.reshape([0, ...c.reshape]), a, 'rows') : a;
    y = apply(c.layer, pre, 'op');
    if (c.reshape) y = apply(layers.flatten(), y, 'flat');
  } else {
    const b = apply(layers.dense({ units: c.bUnits ?? 5, activation: c.bAct ?? 'tanh' }), x, 'b');
    if (c.where) {
      const cond = apply(layers.binary('greater'), [a, b], 'cond');
      y = apply(c.layer, [cond, a, b], 'op');
    } else {
      y = apply(c.layer, [a, b], 'op');
      // A comparison's 0/1 times a, so that something trains.
      if (c.layer.type === 'binary' && c.layer.op === 'less') y = apply(layers.mul(), [y, a], 'masked');
    }
  }
  const out = apply(layers.dense({ units: 3 }), y, 'out');
  return new Model({ inputs: x, outputs: out, name: c.name, backend, seed: 5 });
}

describe('binary layers train', () => {
  const rng = new Rng(32);
  const data = { images: rng.uniform(4 * 6, -2, 2), labels: new Float32Array([0, 2, 1, 2]) };
  for (const c of CASES) {
    gpuIt(`${c.name}: two SGD steps on the GPU give the CPU's weights`, async (gpu) => {
      const opts = { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } } as const;
      const onGpu = net(gpu, c);
      const onCpu = net(new CpuBackend(), c);
      await fit(onGpu, data, opts);
      await fit(onCpu, data, opts);
      const want = onCpu.getWeights();
      for (const [k, v] of onGpu.getWeights()) expectClose(v, want.get(k)!, { atol: 1e-5, rtol: 1e-4 }, k);
      onGpu.dispose();
    });

    it(`${c.name}: the trained gradient equals finite differences (CPU)`, async () => {
      const backend = new CpuBackend();
      const model = net(backend, c);
      const before = model.getWeights();
      await fit(model, data, { batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      let checked = 0;
      for (const [key, w0] of before) {
        for (let i = 0; i < w0.length; i += 2) {
          const at = async (d: number) => {
            const m = net(backend, c);
            const v = w0.slice();
            v[i] += d;
            m.setWeights(new Map(before).set(key, v));
            return (await evaluate(m, data)).loss;
          };
          const numeric = ((await at(1e-3)) - (await at(-1e-3))) / 2e-3;
          const analytic = w0[i] - after.get(key)![i];
          expect(Math.abs(analytic - numeric), `${key}[${i}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    });
  }

  it('mod has no gradient: fit says so, naming the layer', async () => {
    const c: Case = { name: 'mod', layer: layers.binary('mod'), bAct: 'sigmoid' };
    const model = net(new CpuBackend(), c);
    await expect(fit(model, data, { batchSize: 4 })).rejects.toThrow(InvalidArgumentError);
    await expect(fit(model, data, { batchSize: 4 })).rejects.toThrow("binary 'op': mod has no gradient");
  });
});

describe('prelu', () => {
  it('slopes per channel of an NCHW input, and a slope that does not fit is refused', async () => {
    const x = input([2, 1, 2], 'x');
    const y = apply(layers.prelu({ shape: [2] }), x, 'prelu');
    const m = new Model({ inputs: x, outputs: y, name: 'p', backend: new CpuBackend() });
    m.setWeights(new Map([['prelu.weight', Float32Array.of(0.5, -2)]]));
    expect(Array.from(await m.predict(Float32Array.of(-1, 3, -1, 3)))).toEqual([-0.5, 3, 2, 3]);
    const bad = apply(layers.prelu({ shape: [3] }), input([2, 1, 2], 'x'), 'bad');
    expect(() => new Model({ inputs: x, outputs: bad, name: 'q', backend: new CpuBackend() }).info()).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX node tests

/** Why a node test of these ops may fail: ONNX features outside the importer's scope, not these ops. */
const OUT_OF_SCOPE = /opset [1-6] is not supported|integer tensor|is (FLOAT16|DOUBLE); computed inputs must be FLOAT|unsupported op 'Reduce/;

const BINARY_TESTS = nodeTests([
  'sub', 'div', 'pow', 'max', 'min', 'mod', 'sum', 'mean', 'equal', 'less', 'less_equal', 'greater', 'greater_equal', 'and', 'or', 'xor', 'not',
  'where', 'prelu', 'logsoftmax', 'softmax',
]);

describe('ONNX node tests of the binary ops, Where, PRelu and (Log)Softmax', () => {
  it('finds the tests', () => expect(BINARY_TESTS.length).toBeGreaterThan(60));
  gpuIt('each passes, or fails for a reason outside these ops', async () => {
    const gpu = await getGpu();
    const failed: string[] = [];
    let passed = 0;
    for (const name of BINARY_TESTS) {
      const why = await runNodeTest(name, gpu, { atol: 1e-5, rtol: 1e-3 });
      if (why === null) passed++;
      else if (!OUT_OF_SCOPE.test(why)) failed.push(`${name}: ${why}`);
    }
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThanOrEqual(58);
  }, 300_000);
});


// ---------------------------------------------------------------------------------------------
// A PyTorch export (scripts/elementwise_fixture.py): GELU (erf and tanh), SiLU, Hardswish, ELU,
// SELU, Softplus, Mish, erf, PReLU, x/y, x−y, pow, max, min, where, sqrt, log_softmax.

describe('a PyTorch export of the elementwise ops', () => {
  const dir = new URL('./fixtures/onnx/', import.meta.url);
  const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
  const npy = (f: string) => {
    const a = readNpy(read(f), f);
    return { shape: a.shape, data: a.data as Float32Array };
  };
  const x = npy('elementwise.input.npy');
  const y = npy('elementwise.output.npy');
  gpuIt('LogSoftmax at opset 11 normalises the input viewed as 2-D (axis 1 of (2, 3, 4): rows of 12)', async (gpu) => {
    const lx = npy('logsoftmax11.input.npy');
    const ly = npy('logsoftmax11.output.npy');
    const model = await loadOnnx(read('logsoftmax11.onnx'), { backend: gpu, label: 'logsoftmax11.onnx' });
    try {
      expect(model.outputShapes(2)[0]).toEqual([2, 3, 4]);
      expectClose(await model.predict(lx.data), ly.data, { atol: 1e-5, rtol: 1e-4 }, 'logsoftmax11', ly.shape);
    } finally {
      model.dispose();
    }
  });

  for (const kind of ['gpu', 'cpu'] as const) {
    gpuIt(`${kind === 'gpu' ? 'WebGPU' : 'the CPU reference'} equals PyTorch (rtol 1e-3)`, async (gpu) => {
      const model = await loadOnnx(read('elementwise.onnx'), { backend: kind === 'gpu' ? gpu : new CpuBackend(), label: 'elementwise.onnx' });
      try {
        const types = new Set(model.graph.nodes.map((n) => n.layer.type));
        for (const t of ['binary', 'where', 'prelu', 'softmax', 'activation']) expect(types, `has a ${t} layer`).toContain(t);
        // PyTorch's GELU (Div, Erf, Add, Mul, Mul) and SiLU (Sigmoid, Mul) exports are each one activation.
        const acts = model.graph.nodes.flatMap((n) => (n.layer.type === 'activation' ? [JSON.stringify(n.layer.activation)] : []));
        expect(acts).toContain('"gelu"');
        expect(acts).toContain('"silu"');
        expect(acts.filter((a) => a === '"erf"'), "only the net's own torch.erf: none left of the GELU pattern").toHaveLength(1);
        expect(acts.filter((a) => a === '"sigmoid"'), 'the sigmoids that are not part of a SiLU').toHaveLength(2);
        expect(model.outputShapes(x.shape[0])[0]).toEqual(y.shape);
        expectClose(await model.predict(x.data), y.data, { atol: 1e-4, rtol: 1e-3 }, `elementwise (${kind})`, y.shape);
      } finally {
        model.dispose();
      }
    });
  }
});
