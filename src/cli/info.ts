/**
 * `webcnn info`: the backend the commands run on by default ('auto': WebGPU on a hardware
 * adapter, else wasm, with the reason and the wasm backend's threads), then the WebGPU adapter
 * this machine gives (Dawn in Node, SwiftShader when there is no GPU), with the features and
 * limits webcnn runs with, or why there is none. Devices are destroyed before returning: Dawn
 * would otherwise keep the process alive.
 *
 * `webcnn info <model.onnx | zoo-name>`: what a model takes and gives (inputs, outputs and their
 * shapes, layers, parameters, and for an ONNX file its opset, producer and ops, with the ones
 * webcnn does not support), without a GPU.
 */
import { acquireDevice, type GpuContext, type LimitName } from '../device/device.js';
import { WebCnnError } from '../errors.js';
import { inspectOnnx, SUPPORTED_OPS } from '../onnx/index.js';
import { isOnnxPath, modelFromArg, readOnnxFile } from './summary.js';
import { backendReport, formatBackend, type BackendReport } from './backend.js';
import { createBackend } from '../backends/create.js';

export interface InfoFlags {
  json?: boolean;
}

/** The limits that decide how kernels tile and split, in the order `info` prints them. */
export const KEY_LIMITS: readonly LimitName[] = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

/** The `--json` output. */
export interface DeviceReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isSoftware: boolean;
  runtime: GpuContext['runtime'];
  features: string[];
  limits: Record<string, number>;
}

export function deviceReport(ctx: GpuContext): DeviceReport {
  return {
    ...ctx.info,
    runtime: ctx.runtime,
    features: [...ctx.features].sort(),
    limits: Object.fromEntries(KEY_LIMITS.map((name) => [name, ctx.limits[name]])),
  };
}

export function formatDeviceReport(r: DeviceReport): string {
  const rows: [string, string][] = [
    ['vendor', r.vendor],
    ['architecture', r.architecture],
    ['device', r.device],
    ['description', r.description],
    ['software adapter', r.isSoftware ? 'yes' : 'no'],
    ['runtime', r.runtime],
    ['features', r.features.length > 0 ? r.features.join(', ') : '(none)'],
    ...Object.entries(r.limits).map(([k, v]): [string, string] => [k, v.toLocaleString('en-US')]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v || '(not reported)'}`).join('\n');
}

/** The `--json` output of `info` without a model: the default backend, then the adapter or why there is none. */
export type InfoReport = BackendReport & { fallbackReason?: string } & (DeviceReport | { webgpuError: string });

export function formatInfoReport(r: InfoReport): string {
  const head: [string, string][] = [['backend', formatBackend(r)]];
  if (r.fallbackReason) head.push(['why', r.fallbackReason]);
  if (r.threadsNote) head.push(['threads', r.threadsNote]);
  const width = Math.max(...head.map(([k]) => k.length));
  const adapter = 'webgpuError' in r ? `WebGPU adapter: none. ${r.webgpuError}` : `WebGPU adapter:\n${formatDeviceReport(r)}`;
  return [...head.map(([k, v]) => `${k.padEnd(width)}  ${v}`), '', adapter].join('\n');
}

/** The `--json` output of `info <model>`. */
export interface ModelReport {
  model: string;
  /** ONNX files only: the default domain's opset, the producer, the distinct op types, and those webcnn does not import. */
  onnx?: { opset: number | null; producer: string; ops: string[]; unsupported: string[] };
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  layers: number;
  totalParams: number;
  /** Why webcnn cannot run it, when it cannot: the importer's error, naming the node. */
  error?: string;
}

export async function modelReport(arg: string): Promise<ModelReport> {
  const onnx = isOnnxPath(arg) ? inspectOnnx(readOnnxFile(arg, 'info'), arg) : null;
  const header = onnx && {
    opset: onnx.opset ?? null,
    producer: onnx.producer,
    ops: [...onnx.ops],
    unsupported: onnx.ops.filter((op) => !SUPPORTED_OPS.includes(op)),
  };
  try {
    const model = await modelFromArg(arg, 'info');
    try {
      const info = model.info();
      const names = 'onnx' in model ? (model as { onnx: { outputs: readonly string[] } }).onnx.outputs : model.graph.outputs;
      return {
        model: arg,
        ...(header ? { onnx: header } : {}),
        inputs: model.graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
        outputs: model.outputShapes().map((shape, k) => ({ name: names[k], shape: [...shape] })),
        layers: info.nodes.length,
        totalParams: info.totalParams,
      };
    } finally {
      model.dispose();
    }
  } catch (e) {
    // A file webcnn cannot import is still described: what it holds, and why it does not run.
    if (!onnx || !(e instanceof WebCnnError)) throw e;
    return {
      model: arg,
      onnx: header!,
      inputs: onnx.inputs.filter((i) => !i.initializer).map((i) => ({ name: i.name, shape: (i.dims ?? []).map((d) => d ?? '?') })),
      outputs: onnx.outputs.map((name) => ({ name, shape: [] })),
      layers: 0,
      totalParams: 0,
      error: e.message,
    };
  }
}

export function formatModelReport(r: ModelReport): string {
  const shape = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;
  const lines = [`model  ${r.model}`];
  if (r.onnx) {
    lines.push(`onnx   opset ${r.onnx.opset ?? '(none)'}, producer ${r.onnx.producer || '(none)'}`);
    lines.push(`ops    ${r.onnx.ops.join(', ')}`);
    if (r.onnx.unsupported.length > 0) lines.push(`not supported: ${r.onnx.unsupported.join(', ')}`);
  }
  for (const i of r.inputs) lines.push(`input  ${i.name} ${shape(i.shape)}`);
  for (const o of r.outputs) lines.push(`output ${o.name}${o.shape.length || !r.error ? ` ${shape(o.shape)}` : ''}`);
  if (r.error) lines.push(`cannot run: ${r.error}`);
  else lines.push(`${r.layers} layers, ${r.totalParams.toLocaleString('en-US')} parameters`);
  return lines.join('\n');
}

/** What `webcnn info` prints. Without a WebGPU adapter, it says why there is none (WebGpuUnavailableError's message, with what to do). */
export async function runInfo(flags: InfoFlags, model?: string): Promise<string> {
  if (model !== undefined) {
    const report = await modelReport(model);
    return flags.json ? JSON.stringify(report) : formatModelReport(report);
  }
  let adapter: DeviceReport | { webgpuError: string };
  try {
    const ctx = await acquireDevice();
    try {
      adapter = deviceReport(ctx);
    } finally {
      ctx.device.destroy();
    }
  } catch (e) {
    if (!(e instanceof WebCnnError)) throw e;
    adapter = { webgpuError: e.message };
  }
  const { backend, fallbackReason } = await createBackend();
  let report: InfoReport;
  try {
    report = { ...backendReport(backend), ...(fallbackReason ? { fallbackReason } : {}), ...adapter };
  } finally {
    backend.dispose();
  }
  return flags.json ? JSON.stringify(report) : formatInfoReport(report);
}
