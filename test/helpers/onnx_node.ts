/**
 * Runs ONNX's own node tests (Debian libonnx-testdata) of some ops through `loadOnnx`, for the
 * ops' test files; test/onnx_conformance.test.ts runs all of them on the GPU.
 */
import { expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from 'webcnn';
import { loadOnnx, decodeTensor, inspectOnnx, tensorFromProto, type OnnxConstant } from 'webcnn/onnx';
import { expectClose } from './compare.js';

export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

/**
 * The ONNX node tests of these ops: each through loadOnnx, its other graph inputs (axes, scale,
 * bias) as constants, compared with the expected outputs. Tests the importer refuses for what
 * their file is (a float64 input, an opset below 7) are `outOfScope`.
 */
export async function runNodeTests(prefixes: readonly string[], backend: Backend): Promise<{ passed: string[]; failed: string[]; outOfScope: string[] }> {
  const passed: string[] = [];
  const failed: string[] = [];
  const outOfScope: string[] = [];
  const names = readdirSync(NODE_TESTS).filter((n) => prefixes.some((p) => n.startsWith(p)) && !n.endsWith('_expanded')).sort();
  for (const name of names) {
    const dir = join(NODE_TESTS, name);
    const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
    const graphInputs = inspectOnnx(bytes, name).inputs.filter((i) => !i.initializer).map((i) => i.name);
    const read = (f: string) => {
      const p = decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', f))), f);
      return tensorFromProto(p, f);
    };
    const files = readdirSync(join(dir, 'test_data_set_0'));
    const inputs = graphInputs.map((_, i) => read(`input_${i}.pb`));
    const outputs = files.filter((f) => f.startsWith('output_')).sort().map(read);
    const constants: Record<string, OnnxConstant> = {};
    graphInputs.slice(1).forEach((n, i) => (constants[n] = { dims: inputs[i + 1].dims, data: inputs[i + 1].data }));
    try {
      const model = await loadOnnx(bytes, { backend, label: name, constants, inputShapes: { [graphInputs[0]]: inputs[0].dims } });
      const outs = await model.predictAll([inputs[0].data as Float32Array], inputs[0].dims[0]);
      const shapes = model.outputShapes(inputs[0].dims[0]);
      outputs.forEach((want, i) => {
        expect(shapes[i], `${name} output ${i} shape`).toEqual(want.dims);
        expectClose(outs[i], Float32Array.from(want.data, Number), { atol: 1e-5, rtol: 1e-3 }, `${name} output ${i}`);
      });
      model.dispose();
      passed.push(name);
    } catch (e) {
      const why = (e as Error).message;
      if (/graph input '\w+' is DOUBLE|opset \d+ is not supported/.test(why)) outOfScope.push(name);
      else failed.push(`${name}: ${why.slice(0, 160)}`);
    }
  }
  return { passed, failed, outOfScope };
}
