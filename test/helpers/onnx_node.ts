/**
 * Runs one of ONNX's node tests (Debian libonnx-testdata: node/<name>/model.onnx with
 * test_data_set_0/{input,output}_N.pb) through the importer, as test/onnx_conformance.test.ts
 * does: input `computed` (default the first) is the graph's computed input, the others are
 * load-time constants. Returns null when it passes, else why not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTensor, importOnnx, inspectOnnx, tensorFromProto, type ConstTensor, type OnnxConstant } from 'webcnn/onnx';
import { WebCnnError, type Backend } from 'webcnn';
import { closeReport, type Tolerance } from './compare.js';

export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

/** The node tests whose directory name starts with `test_<prefix>` for one of the prefixes, sorted. */
export function nodeTests(prefixes: readonly string[]): string[] {
  if (!existsSync(NODE_TESTS)) return [];
  return readdirSync(NODE_TESTS).filter((n) => prefixes.some((p) => n === `test_${p}` || n.startsWith(`test_${p}_`))).sort();
}

/** A test data set's `input_N.pb` or `output_N.pb` files, in N's order. */
export function pbFiles(dir: string, kind: 'input' | 'output'): string[] {
  return readdirSync(dir)
    .filter((f) => new RegExp(`^${kind}_\\d+\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => join(dir, f));
}

/** One `.pb` tensor file: its name and values. */
export const readTensor = (path: string): { name: string; t: ConstTensor } => {
  const proto = decodeTensor(new Uint8Array(readFileSync(path)), path);
  return { name: proto.name, t: tensorFromProto(proto, path) };
};

export async function runNodeTest(name: string, backend: Backend, tol: Tolerance, computed = 0): Promise<string | null> {
  const dir = join(NODE_TESTS, name);
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const summary = inspectOnnx(bytes, name);
  const data = join(dir, 'test_data_set_0');
  const inputs = pbFiles(data, 'input').map(readTensor);
  const expected = pbFiles(data, 'output').map(readTensor);
  const graphInputs = summary.inputs.filter((i) => !i.initializer).map((i) => i.name);
  const byName = new Map(inputs.map((x, i) => [x.name || graphInputs[i], x.t]));
  const first = graphInputs[computed];
  const constants: Record<string, OnnxConstant> = {};
  for (const n of graphInputs) {
    const t = byName.get(n);
    if (t && n !== first) constants[n] = { dims: t.dims, data: t.data };
  }
  const x = byName.get(first);
  if (!x) return `no test data for input '${first}'`;
  if (x.kind !== 'float') return `input '${first}' is an integer tensor`;
  let model;
  try {
    model = importOnnx(bytes, { backend, label: name, constants, inputShapes: { [first]: x.dims } });
  } catch (e) {
    if (e instanceof WebCnnError) return e.message;
    throw e;
  }
  try {
    const batch = x.dims[0];
    const outs = await model.predictAll([x.data as Float32Array], batch);
    const shapes = model.outputShapes(batch);
    for (let i = 0; i < expected.length; i++) {
      const want = expected[i].t;
      if (shapes[i].length !== want.dims.length || shapes[i].some((d, k) => d !== want.dims[k])) {
        return `output ${i} has shape [${shapes[i].join(',')}], expected [${want.dims.join(',')}]`;
      }
      const report = closeReport(outs[i], Float32Array.from(want.data), tol, want.dims);
      if (report) return `output ${i}: ${report}`;
    }
    return null;
  } finally {
    model.dispose();
  }
}

/**
 * Every node test whose name starts with one of `prefixes` (`'test_reduce_mean'`), except the
 * `_expanded` ones, through `runNodeTest`. Tests the importer refuses for what their file is (a
 * float64 input, an opset it does not take) are `outOfScope`.
 */
export async function runNodeTests(prefixes: readonly string[], backend: Backend): Promise<{ passed: string[]; failed: string[]; outOfScope: string[] }> {
  const passed: string[] = [];
  const failed: string[] = [];
  const outOfScope: string[] = [];
  if (!existsSync(NODE_TESTS)) throw new Error(`${NODE_TESTS} is missing: install Debian's libonnx-testdata (npm test's set-up does)`);
  const names = readdirSync(NODE_TESTS).filter((n) => prefixes.some((p) => n.startsWith(p)) && !n.endsWith('_expanded')).sort();
  for (const name of names) {
    const why = await runNodeTest(name, backend, { atol: 1e-5, rtol: 1e-3 });
    if (why === null) passed.push(name);
    else if (/graph input '\w+' is DOUBLE|opset \d+ is not supported/.test(why)) outOfScope.push(name);
    else failed.push(`${name}: ${why.slice(0, 160)}`);
  }
  return { passed, failed, outOfScope };
}
