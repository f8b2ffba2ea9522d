/**
 * `webcnn run <model.onnx | zoo-name> --input [NAME=]FILE.npy … [--out DIR]`: runs a model once
 * on NumPy inputs and writes every graph output as `DIR/<output name>.npy` (little-endian
 * float32; DIR defaults to the current directory). Prints a line per output and the time, or
 * with --json one line `{"outputs":[{"name","shape","file"}],"backend","ms"}`, where `ms` is the
 * time of the forward pass (plan creation and pipeline compilation included).
 * float32 (or float64) inputs are computed inputs, except those that set shapes or bounds
 * (value inputs: the model is imported for their values); int64/int32 inputs are constants
 * given at load time (shape inputs of Reshape and the like).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../graph/model.js';
import { createModel, ZOO_NAMES, type ZooName } from '../models/index.js';
import { readNpy, writeNpy, type NpyArray } from '../io/npy.js';
import { loadOnnx, inspectOnnx, type OnnxConstant } from '../onnx/index.js';
import { sizeOf } from '../shape.js';
import { UsageError } from './usage_error.js';
import { cliBackend, backendReport, formatBackend, type BackendFlags, type BackendReport } from './backend.js';

export interface RunFlags extends BackendFlags {
  input: string[];
  /** Directory for the outputs (default: the current directory). */
  out?: string;
  json?: boolean;
  /** Zoo models: input height and width. */
  inputSize?: number;
  /** Zoo models: safetensors weights (default: seeded random weights). */
  weights?: string;
}

export interface RunReport extends BackendReport {
  outputs: { name: string; shape: number[]; file: string }[];
  ms: number;
}

/** `--input NAME=FILE` or `--input FILE`, repeatable. */
export function collectInput(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readFile(path: string, what: string): Uint8Array {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`run: ${what} '${path}' does not exist`);
  return new Uint8Array(readFileSync(path));
}

/** A file name for an output: ONNX names may hold '/', ':' and the like. */
function fileNameFor(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'output'}.npy`;
}

/**
 * The `--input` values by graph input name. `FILE` alone names the model's one computed input;
 * `NAME=FILE` any input. Everything is checked against the model's inputs here, before a device
 * is acquired.
 */
function parseInputs(specs: readonly string[], computed: readonly string[], all: readonly string[]): Map<string, NpyArray> {
  const list = all.join(', ');
  if (specs.length === 0) {
    throw new UsageError(computed.length === 1 ? 'run: give the input: --input FILE.npy' : `run: give each input as --input NAME=FILE.npy (the model's inputs: ${list})`);
  }
  const inputs = new Map<string, NpyArray>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && !existsSync(spec);
    if (named && eq === spec.length - 1) throw new UsageError(`run: --input '${spec}' must be NAME=FILE.npy or FILE.npy`);
    let name: string;
    if (named) name = spec.slice(0, eq);
    else if (computed.length === 1) name = computed[0];
    else throw new UsageError(`run: --input '${spec}' needs a name: the model has ${computed.length} inputs (${list}); use --input NAME=FILE.npy`);
    if (!all.includes(name)) throw new UsageError(`run: the model has no input '${name}' (its inputs: ${list})`);
    const file = named ? spec.slice(eq + 1) : spec;
    if (inputs.has(name)) throw new UsageError(`run: --input ${name} is given twice`);
    inputs.set(name, readNpy(readFile(file, `input file for '${name}'`), file));
  }
  const missing = computed.filter((n) => !inputs.has(n));
  if (missing.length > 0) throw new UsageError(`run: the model needs --input ${missing.map((n) => `${n}=FILE.npy`).join(' --input ')} (its inputs: ${list})`);
  return inputs;
}

const isFloat = (a: NpyArray) => a.dtype === '<f4' || a.dtype === '<f8';
const asFloat32 = (a: NpyArray) => (a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array));

/** The outputs as `webcnn run` prints them without --json: one line each, then the time. */
export function formatRunReport(r: RunReport): string {
  const rows = r.outputs.map((o) => [o.name, `[${o.shape.join(', ')}]`, o.file]);
  const widths = [0, 1].map((k) => Math.max(...rows.map((row) => row[k].length)));
  return [...rows.map((row) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2]}`), `${formatBackend(r)}, ${r.ms} ms`].join('\n');
}

export async function runModel(modelArg: string, flags: RunFlags): Promise<string> {
  const isZoo = (ZOO_NAMES as readonly string[]).includes(modelArg);
  if (!isZoo && !modelArg.endsWith('.onnx') && !existsSync(modelArg)) {
    throw new UsageError(`run: '${modelArg}' is neither an .onnx file nor a zoo model (${ZOO_NAMES.join(', ')})`);
  }
  if (!isZoo && (flags.weights || flags.inputSize)) throw new UsageError('run: --weights and --input-size are for zoo models; an .onnx file has its own');
  // Files are read and inputs matched to the model before the GPU is acquired, so a wrong path
  // or input name fails at once.
  const bytes = isZoo ? null : readFile(modelArg, 'model file');
  const weights = isZoo && flags.weights ? readFile(flags.weights, 'weights file') : null;
  let computed: string[];
  let all: string[];
  if (bytes) {
    const summary = inspectOnnx(bytes, modelArg);
    all = summary.inputs.filter((i) => !i.initializer).map((i) => i.name);
    computed = all;
  } else {
    all = computed = createModel(modelArg as ZooName, { inputSize: flags.inputSize }).graph.inputs.map((i) => i.name);
  }
  const inputs = parseInputs(flags.input, computed, all);
  const outDir = flags.out ?? '.';
  const { backend } = await cliBackend(flags);
  try {
    let model: Model;
    let outputNames: readonly string[];
    let order: readonly string[];
    const valueInputs = new Set<string>();
    if (isZoo) {
      model = createModel(modelArg as ZooName, { backend, inputSize: flags.inputSize });
      if (weights) model.loadWeights(weights, { label: flags.weights });
      outputNames = model.graph.outputs;
      order = model.graph.inputs.map((i) => i.name);
    } else {
      const constants: Record<string, OnnxConstant> = {};
      const inputShapes: Record<string, number[]> = {};
      for (const [name, a] of inputs) {
        if (isFloat(a)) inputShapes[name] = [...a.shape];
        else constants[name] = { dims: a.shape, data: a.data as BigInt64Array | Int32Array };
      }
      let onnx = await loadOnnx(bytes!, { backend, label: modelArg, constants, inputShapes });
      // Float inputs that set shapes or bounds (value inputs): the model imported for their values.
      while (onnx.onnx.valueInputs.length > 0) {
        const names = onnx.onnx.valueInputs;
        const absent = names.filter((n) => !inputs.has(n));
        if (absent.length > 0) throw new UsageError(`run: the model needs --input ${absent.map((n) => `${n}=FILE.npy`).join(' --input ')} (its inputs: ${onnx.onnx.runInputs.join(', ')})`);
        names.forEach((n) => valueInputs.add(n));
        onnx = onnx.specialise(Object.fromEntries(names.map((n) => [n, { dims: inputs.get(n)!.shape, data: asFloat32(inputs.get(n)!) }])));
      }
      model = onnx;
      outputNames = onnx.onnx.outputs;
      order = onnx.onnx.inputs.map((i) => i.name);
    }
    const missing = order.filter((n) => !inputs.has(n));
    if (missing.length > 0) throw new UsageError(`run: the model needs --input ${missing.map((n) => `${n}=FILE.npy`).join(' --input ')} (its inputs: ${order.join(', ')})`);
    const values = order.map((n) => inputs.get(n)!);
    for (const [i, a] of values.entries()) {
      if (!isFloat(a)) throw new UsageError(`run: input '${order[i]}' must be float32, got ${a.dtype}`);
      const want = model.graph.inputs[i].shape;
      const fits = a.shape.length === want.length && want.every((d, j) => typeof d === 'string' || a.shape[j] === d);
      if (!fits) throw new UsageError(`run: input '${order[i]}' has shape [${a.shape.join(',')}], the model needs [${want.join(',')}]`);
    }
    let dims;
    try {
      dims = model.bindShapes(values.map((a) => a.shape));
    } catch (e) {
      throw new UsageError(`run: ${(e as Error).message}`);
    }
    const shapes = model.outputShapes(dims);
    const t0 = performance.now();
    const outs = await model.predictAll(values.map(asFloat32), { dims });
    const ms = performance.now() - t0;
    mkdirSync(outDir, { recursive: true });
    const report: RunReport = { outputs: [], ...backendReport(backend), ms: Math.round(ms * 10) / 10 };
    const used = new Set<string>();
    outs.forEach((data, i) => {
      let file = fileNameFor(outputNames[i]);
      while (used.has(file)) file = `_${file}`;
      used.add(file);
      const shape = [...shapes[i]];
      if (sizeOf(shape) !== data.length) throw new UsageError(`run: output '${outputNames[i]}' has ${data.length} values for shape [${shape.join(',')}]`);
      writeFileSync(join(outDir, file), writeNpy(data, shape));
      report.outputs.push({ name: outputNames[i], shape, file: join(outDir, file) });
    });
    model.dispose();
    return flags.json ? JSON.stringify(report) : formatRunReport(report);
  } finally {
    backend.dispose();
  }
}
