// ONNX's own operator conformance tests (Debian libonnx-testdata: node/test_*/model.onnx with
// test_data_set_0/{input,output}_N.pb) through the importer, on the GPU. Every test whose
// nodes use only ops the importer supports is run; those in the committed pass list
// (fixtures/onnx/conformance_pass.txt) must pass, the others are printed with the reason.
// Every graph input is given as the test gives it, at run time (no input becomes a load-time
// constant): weights and second operands are computed inputs, integer inputs (shapes, axes)
// are value inputs the model is specialised on.
// ONNX_CONFORMANCE_LIST=path writes the names that passed, to update the list.
import { it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxError, SUPPORTED_OPS, importOnnx, inspectOnnx } from 'webcnn/onnx';
import { WebCnnError } from 'webcnn';
import { counts, getGpu, inErrorScopes } from './helpers/gpu.js';
import { closeReport } from './helpers/compare.js';
import { NODE_TESTS, pbFiles, readTensor } from './helpers/onnx_node.js';

const PASS_LIST = new URL('./fixtures/onnx/conformance_pass.txt', import.meta.url);
// ONNX's backend test runner defaults: rtol 1e-3, atol 1e-7; a little more atol for float32 GPU sums.
const TOL = { atol: 1e-5, rtol: 1e-3 };


interface Outcome {
  name: string;
  op: string;
  ok: boolean;
  why: string;
}

/** One test: a failure the importer or the model reports (a WebCnnError, OnnxError included) is an outcome, anything else a bug. */
async function runCase(name: string): Promise<Omit<Outcome, 'op'>> {
  try {
    return await runCaseOrThrow(name);
  } catch (e) {
    if (e instanceof WebCnnError) return { name, ok: false, why: `${e instanceof OnnxError ? '' : `${e.name}: `}${e.message.replace(`${name}: `, '')}` };
    throw e;
  }
}

async function runCaseOrThrow(name: string): Promise<Omit<Outcome, 'op'>> {
  const dir = join(NODE_TESTS, name);
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const summary = inspectOnnx(bytes, name);
  const data = join(dir, 'test_data_set_0');
  const inputs = pbFiles(data, 'input').map(readTensor);
  const expected = pbFiles(data, 'output').map(readTensor);
  const graphInputs = summary.inputs.filter((i) => !i.initializer).map((i) => i.name);
  const byName = new Map(inputs.map((x, i) => [x.name || graphInputs[i], x.t]));
  const missing = graphInputs.find((n) => !byName.has(n));
  if (missing) return { name, ok: false, why: `no test data for input '${missing}'` };
  const inputShapes = Object.fromEntries(graphInputs.map((n) => [n, byName.get(n)!.dims]));
  const model = importOnnx(bytes, { backend: await getGpu(), label: name, inputShapes });
  try {
    // Every input as the test gives it (integers as exact float values), in the model's order.
    const given = model.onnx.runInputs.map((n) => byName.get(n)!);
    const first = given.find((t) => t.kind === 'float') ?? given[0];
    const batch = first && first.dims.length > 0 ? first.dims[0] : 1;
    const outs = await model.predictAll(given.map((t) => Float32Array.from(t.data)), batch);
    // The import predictAll ran: specialised on the value inputs, as often as it needed.
    let ran = model;
    while (ran.onnx.valueInputs.length > 0) ran = ran.specialise(Object.fromEntries(ran.onnx.valueInputs.map((n) => [n, { dims: byName.get(n)!.dims, data: byName.get(n)!.data }])));
    const shapes = ran.outputShapes(batch);
    for (let i = 0; i < expected.length; i++) {
      const want = expected[i].t;
      if (i >= outs.length) return { name, ok: false, why: `output ${i} missing` };
      if (shapes[i].length !== want.dims.length || shapes[i].some((d, k) => d !== want.dims[k])) {
        return { name, ok: false, why: `output ${i} has shape [${shapes[i].join(',')}], expected [${want.dims.join(',')}]` };
      }
      counts.comparisons++;
      const report = closeReport(outs[i], want.data, TOL, want.dims);
      if (report) return { name, ok: false, why: `output ${i}: ${report}` };
    }
    return { name, ok: true, why: '' };
  } finally {
    model.dispose();
  }
}

it('ONNX node tests of the supported ops pass on the GPU (the committed pass list must all pass)', async () => {
  expect(existsSync(NODE_TESTS), `${NODE_TESTS} is missing: install Debian's libonnx-testdata (npm test's set-up does)`).toBe(true);
  const supported = new Set(SUPPORTED_OPS);
  const candidates: { name: string; op: string }[] = [];
  for (const name of readdirSync(NODE_TESTS).sort()) {
    const path = join(NODE_TESTS, name, 'model.onnx');
    if (!existsSync(path)) continue;
    const ops = inspectOnnx(new Uint8Array(readFileSync(path)), name).ops;
    if (ops.length > 0 && ops.every((o) => supported.has(o))) candidates.push({ name, op: ops.find((o) => o !== 'Constant') ?? ops[0] });
  }
  const passList = readFileSync(PASS_LIST, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const known = new Set(candidates.map((c) => c.name));
  expect(passList.filter((n) => !known.has(n)), 'pass-list entries that are not candidate tests').toEqual([]);

  counts.gpuTests++;
  const gpu = await getGpu();
  const outcomes: Outcome[] = [];
  for (const c of candidates) outcomes.push({ ...(await inErrorScopes(gpu, () => runCase(c.name))), op: c.op });

  const perOp = new Map<string, { pass: number; total: number }>();
  for (const o of outcomes) {
    const s = perOp.get(o.op) ?? { pass: 0, total: 0 };
    s.total++;
    if (o.ok) s.pass++;
    perOp.set(o.op, s);
  }
  const passed = outcomes.filter((o) => o.ok);
  console.log(
    `ONNX conformance: ${passed.length}/${outcomes.length} node tests pass on the GPU\n` +
      [...perOp].sort(([a], [b]) => a.localeCompare(b)).map(([op, s]) => `  ${op}: ${s.pass}/${s.total}`).join('\n') +
      '\nnot passing:\n' +
      outcomes.filter((o) => !o.ok).map((o) => `  ${o.name}: ${o.why.slice(0, 200)}`).join('\n'),
  );
  if (process.env.ONNX_CONFORMANCE_LIST) writeFileSync(process.env.ONNX_CONFORMANCE_LIST, passed.map((o) => o.name).join('\n') + '\n');
  const failing = new Map(outcomes.filter((o) => !o.ok).map((o) => [o.name, o.why]));
  const regressions = passList.filter((n) => failing.has(n)).map((n) => `${n}: ${failing.get(n)}`);
  expect(regressions, 'pass-list tests that fail').toEqual([]);
  expect(passList.length).toBeGreaterThan(0);
}, 1_800_000);
