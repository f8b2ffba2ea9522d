// `webcnn run` as a user runs it: `node bin/webcnn.js run …` in a child process on the built
// dist/ (rebuilt by the global set-up when a source is newer). An .onnx fixture on WebGPU and on the CPU
// matches PyTorch's output; a zoo model by name matches the same model run in-process; the
// output is one JSON line and one .npy per graph output; user errors are one line and a
// non-zero status, before any GPU work.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, createModel } from 'webcnn';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { expectClose } from './helpers/compare.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'onnx');

/** Runs the CLI in a child process, asynchronously (a blocked event loop would stall vitest's worker). */
function webcnn(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(root, 'bin', 'webcnn.js'), ...args], { cwd: options.cwd ?? root, env: options.env ?? process.env, encoding: 'utf8', timeout: 300_000 }, (_err, stdout, stderr) =>
      resolve({ status: child.exitCode, stdout, stderr }));
  });
}


interface RunReport {
  outputs: { name: string; shape: number[]; file: string }[];
  backend: string;
  threads?: number;
  ms: number;
}

const TOL = { atol: 1e-4, rtol: 1e-3 };
const loadNpy = (path: string) => readNpy(new Uint8Array(readFileSync(path)), path);

describe('webcnn run', () => {
  // [--backend, the backend that runs, --threads]: 'cpu' is an alias of 'reference'.
  const cases: [string, string, number?][] = [['webgpu', 'webgpu'], ['wasm', 'wasm', 2], ['reference', 'reference'], ['cpu', 'reference']];
  for (const [flag, backend, threads] of cases) {
    it(`runs an .onnx export with --backend ${flag}${threads ? ` --threads ${threads}` : ''} and writes outputs equal to PyTorch's`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'webcnn-run-'));
      const r = await webcnn(['run', join(fixtures, 'lrn.onnx'), '--input', `input=${join(fixtures, 'lrn.input.npy')}`, '--out', out, '--backend', flag, ...(threads ? ['--threads', String(threads)] : []), '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, 'a successful run writes nothing on stderr (no Dawn warnings either)').toBe('');
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines, 'stdout is one JSON line').toHaveLength(1);
      const report = JSON.parse(lines[0]) as RunReport;
      expect(Object.keys(report).sort()).toEqual(threads ? ['backend', 'ms', 'outputs', 'threads'] : ['backend', 'ms', 'outputs']);
      expect(report.backend).toBe(backend);
      expect(report.threads).toBe(threads);
      expect(report.ms).toBeGreaterThan(0);
      expect(report.outputs).toEqual([{ name: 'output', shape: [2, 8, 3, 3], file: join(out, 'output.npy') }]);
      const got = loadNpy(join(out, 'output.npy'));
      expect(got.dtype).toBe('<f4');
      expect(got.shape).toEqual([2, 8, 3, 3]);
      const want = loadNpy(join(fixtures, 'lrn.output.npy'));
      expectClose(got.data as Float32Array, want.data as Float32Array, TOL, `webcnn run --backend ${backend}`);
    }, 300_000);
  }

  it('runs a zoo model by name, equal to the same seeded model in-process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-run-'));
    const x = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    writeFileSync(join(dir, 'x.npy'), writeNpy(x, [2, 1, 28, 28]));
    const model = createModel('lenet', { backend: new CpuBackend() });
    const inputName = model.graph.inputs[0].name;
    const r = await webcnn(['run', 'lenet', '--input', `${inputName}=${join(dir, 'x.npy')}`, '--out', join(dir, 'out'), '--backend', 'cpu', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim()) as RunReport;
    expect(report.outputs.map((o) => o.shape)).toEqual([[2, 10]]);
    const got = loadNpy(report.outputs[0].file);
    expectClose(got.data as Float32Array, await model.predict(x), { atol: 1e-6, rtol: 1e-5 }, 'webcnn run lenet');
  }, 120_000);

  it('refuses user errors with one line and a non-zero status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-run-'));
    writeFileSync(join(dir, 'bad.npy'), new Uint8Array([1, 2, 3]));
    writeFileSync(join(dir, 'bad.onnx'), new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    writeFileSync(join(dir, 'x.npy'), writeNpy(new Float32Array(2 * 3 * 19 * 19), [2, 3, 19, 19]));
    writeFileSync(join(dir, 'wrong.npy'), writeNpy(new Float32Array(2 * 4 * 19 * 19), [2, 4, 19, 19]));
    const lrn = join(fixtures, 'lrn.onnx');
    const cases: [string[], number, RegExp][] = [
      [['run', lrn, '--input', `x=${join(dir, 'x.npy')}`, '--out', dir, '--backend', 'cpu'], 2, /has no input 'x' \(its inputs: input\)/],
      [['run', lrn, '--input', `input=${join(dir, 'nope.npy')}`, '--out', dir], 2, /does not exist/],
      [['run', lrn, '--input', 'input=', '--out', dir], 2, /must be NAME=FILE\.npy or FILE\.npy/],
      [['run', lrn, '--out', dir], 2, /give the input: --input FILE\.npy/],
      [['run', lrn, '--input', `input=${join(dir, 'bad.npy')}`, '--out', dir], 1, /NUMPY magic/],
      [['run', join(dir, 'missing.onnx'), '--input', `input=${join(dir, 'x.npy')}`, '--out', dir], 2, /does not exist/],
      [['run', join(dir, 'bad.onnx'), '--input', `input=${join(dir, 'x.npy')}`, '--out', dir, '--backend', 'cpu'], 1, /not a valid ONNX model/],
      [['run', lrn, '--input', `input=${join(dir, 'wrong.npy')}`, '--out', dir, '--backend', 'cpu'], 1, /Conv.*input has 4 channels, weights \[8,3,5,5\] with group 1 expect 3/],
      [['run', 'resnet99', '--input', `input=${join(dir, 'x.npy')}`, '--out', dir], 2, /neither an \.onnx file nor a zoo model/],
    ];
    for (const [args, status, message] of cases) {
      const r = await webcnn(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(status);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('webcnn: '));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at .*(\.js|\.ts|node:internal)/m);
    }
  }, 300_000);

  it('takes a one-input model\'s input without a name and writes to the current directory by default; prints a line per output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-run-'));
    const r = await webcnn(['run', join(fixtures, 'lrn.onnx'), '--input', join(fixtures, 'lrn.input.npy'), '--backend', 'cpu'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^output {2}\[2, 8, 3, 3\] {2}output\.npy$/);
    expect(lines[1]).toMatch(/^reference, [\d.]+ ms$/);
    const want = loadNpy(join(fixtures, 'lrn.output.npy'));
    expectClose(loadNpy(join(dir, 'output.npy')).data as Float32Array, want.data as Float32Array, TOL, 'webcnn run into the current directory');
  }, 120_000);

  it('refuses a wrong input name before acquiring a device', async () => {
    // With no Vulkan driver there is no adapter: had the device been asked for first, the error
    // would be "No WebGPU adapter". The input is checked against the file before that.
    const env = { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'webcnn-no-such-icd.json') };
    const r = await webcnn(['run', join(fixtures, 'lrn.onnx'), '--input', `image=${join(fixtures, 'lrn.input.npy')}`], { env });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe("webcnn: run: the model has no input 'image' (its inputs: input)\n");
  }, 120_000);
});

describe('webcnn info and summary of an .onnx file', () => {
  it('info prints the opset, ops, inputs, outputs with shapes, layers and parameters, with nothing on stderr and no GPU', async () => {
    const env = { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'webcnn-no-such-icd.json') };
    const r = await webcnn(['info', join(fixtures, 'residual.onnx'), '--json'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { onnx: { opset: number; ops: string[]; unsupported: string[] }; inputs: { name: string; shape: unknown[] }[]; outputs: { name: string; shape: number[] }[]; layers: number; totalParams: number };
    expect(report.onnx.opset).toBe(13);
    expect(report.onnx.ops).toContain('Conv');
    expect(report.onnx.unsupported).toEqual([]);
    expect(report.inputs.map((i) => i.name)).toEqual(['input']);
    expect(report.outputs).toEqual([{ name: 'output', shape: [1, 10] }]);
    expect(report.layers).toBeGreaterThan(3);
    expect(report.totalParams).toBe(5266);
    const text = await webcnn(['info', join(fixtures, 'residual.onnx')], { env });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^output output \[1, 10\]$/m);
    expect(text.stdout).toMatch(/^\d+ layers, 5,266 parameters$/m);
  }, 120_000);

  it('summary of an .onnx file prints its layer table; --json its report', async () => {
    const r = await webcnn(['summary', join(fixtures, 'residual.onnx'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { totalParams: number; layers: { type: string }[] };
    expect(report.totalParams).toBe(5266);
    expect(report.layers.map((l) => l.type)).toContain('conv2d');
    const text = await webcnn(['summary', join(fixtures, 'residual.onnx')]);
    expect(text.stdout).toMatch(/total params: 5,266/);
    const missing = await webcnn(['summary', join(fixtures, 'nope.onnx')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^webcnn: summary: model file '.*nope\.onnx' does not exist$/m);
  }, 120_000);
});
