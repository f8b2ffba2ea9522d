/**
 * `webcnn dispatches <model>`: what one forward asks of a GPU's parallelism — its dispatches,
 * workgroups per dispatch, and the share of multiply-adds in dispatches of fewer than 128
 * workgroups, which leave most of a large GPU idle (`Model.dispatchReport`). The plan is
 * recorded, not compiled or run, so it takes seconds at any input size. `--tuning` chooses
 * the kernels as another adapter class would (for example `default`, an unknown hardware
 * adapter, on a machine whose adapter is SwiftShader).
 */
import { WebGpuBackend } from '../backends/webgpu/backend.js';
import { type DispatchReport, formatDispatchReport } from '../backends/dispatch_report.js';
import { modelFromArg } from './summary.js';
import { UsageError } from './usage_error.js';

export interface DispatchesFlags {
  json?: boolean;
  batch?: number;
  inputSize?: number;
  tuning?: string;
  all?: boolean;
}

/** The adapter class `--tuning` names: 'default', a vendor, or vendor/architecture. */
export function tuningAdapterArg(value: string): { vendor: string; architecture: string } {
  if (value === 'default') return { vendor: '', architecture: '' };
  const [vendor, architecture = '', ...rest] = value.split('/');
  if (!vendor || rest.length > 0) throw new UsageError(`dispatches: --tuning must be 'default', a vendor (nvidia) or vendor/architecture (google/swiftshader), got '${value}'`);
  return { vendor, architecture };
}

export async function runDispatches(modelArg: string, flags: DispatchesFlags): Promise<string> {
  const tuningAdapter = flags.tuning === undefined ? undefined : tuningAdapterArg(flags.tuning);
  const model = await modelFromArg(modelArg, 'dispatches', flags.inputSize);
  const backend = await WebGpuBackend.create({ debug: { tuningAdapter } });
  try {
    model.useBackend(backend);
    const report: DispatchReport = await model.dispatchReport(flags.batch ?? 1);
    const tuning = flags.tuning ?? `${backend.ctx.info.vendor}/${backend.ctx.info.architecture}`;
    if (flags.json) return JSON.stringify({ model: modelArg, batch: flags.batch ?? 1, tuning, ...report });
    return `${modelArg}, batch ${flags.batch ?? 1}, kernels chosen for adapter class '${tuning}'\n${formatDispatchReport(report, flags.all)}`;
  } finally {
    model.dispose();
    backend.dispose();
  }
}
