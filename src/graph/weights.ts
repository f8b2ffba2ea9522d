/**
 * A model's weights on the host: random initial values from the parameters' specs, the checks
 * of weights a user sets, and weights read from safetensors, checked against the model's
 * parameter shapes. Names follow PyTorch's state_dict (`conv1.weight`, `bn1.running_mean`).
 */
import type { GraphInfo } from './graph.js';
import type { Init } from '../ops/op.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { ShapeError } from '../errors.js';
import { isFloatDtype, readSafetensors } from '../io/safetensors.js';
import { mulberry32 } from '../util/numeric.js';

function initValues(init: Init, n: number, rand: () => number): Float32Array {
  if (init.kind === 'values') return Float32Array.from(init.values);
  if (init.kind === 'constant') return new Float32Array(n).fill(init.value);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * init.bound;
  return out;
}

/** Every parameter and buffer, initialised as its spec says, from one seeded generator in layer order. */
export function initialWeights(info: GraphInfo, seed: number): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const weights = new Map<string, Float32Array>();
  for (const node of info.nodes) {
    for (const p of node.params) weights.set(`${node.name}.${p.name}`, initValues(p.init, sizeOf(p.shape), rand));
  }
  return weights;
}

const some = (names: readonly string[]): string => `${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`;

/**
 * PyTorch's batch norms save a step counter, `num_batches_tracked` (one int64), beside their
 * running statistics; inference has no use for it. The name of such a counter of one of the
 * model's batch norms (a layer with `running_mean`), or null.
 */
function batchNormCounter(name: string, shapes: ReadonlyMap<string, Shape>): string | null {
  const suffix = '.num_batches_tracked';
  return name.endsWith(suffix) && shapes.has(`${name.slice(0, -suffix.length)}.running_mean`) ? name : null;
}

const valueCount = (v: unknown): number => (ArrayBuffer.isView(v) && 'length' in v ? (v as { length: number }).length : typeof v === 'number' || typeof v === 'bigint' ? 1 : -1);

/**
 * Checks weights given by name against a model's parameter shapes: every name must exist and
 * have the right number of values; with `strict` every parameter must be given. The batch
 * norms' step counters of a PyTorch state_dict (one value each) are left out.
 */
export function checkWeights(
  model: string,
  shapes: ReadonlyMap<string, Shape>,
  values: ReadonlyMap<string, Float32Array> | Record<string, Float32Array>,
  strict: boolean,
): [string, Float32Array][] {
  const entries = (values instanceof Map ? [...values.entries()] : Object.entries(values)).filter(([k, v]) => {
    if (shapes.has(k) || !batchNormCounter(k, shapes)) return true;
    if (valueCount(v) !== 1) throw new ShapeError('setWeights', `'${k}' is a batch norm's step counter, one value, got ${valueCount(v) < 0 ? typeof v : `${valueCount(v)} values`}`);
    return false;
  });
  for (const [k, v] of entries) {
    const shape = shapes.get(k);
    if (!shape) throw new ShapeError('setWeights', `model '${model}' has no parameter '${k}' (it has ${some([...shapes.keys()])})`);
    if (!(v instanceof Float32Array) || v.length !== sizeOf(shape)) {
      throw new ShapeError('setWeights', `parameter '${k}' needs ${sizeOf(shape)} values for shape ${fmtShape(shape)}, got ${v instanceof Float32Array ? v.length : typeof v}`);
    }
  }
  if (strict) {
    const given = new Set(entries.map(([k]) => k));
    const missing = [...shapes.keys()].filter((k) => !given.has(k));
    if (missing.length > 0) throw new ShapeError('setWeights', `missing parameters: ${some(missing)}`);
  }
  return entries;
}

/**
 * The tensors of safetensors bytes, each checked against the model's shape of the same name
 * (others pass through to `checkWeights`); batch norms' integer step counters are left out.
 */
export function weightsFromSafetensors(bytes: Uint8Array, shapes: ReadonlyMap<string, Shape>, label?: string): Map<string, Float32Array> {
  const file = readSafetensors(bytes, label);
  const values = new Map<string, Float32Array>();
  for (const [k, t] of file.tensors) {
    const want = shapes.get(k);
    if (!want && batchNormCounter(k, shapes)) {
      if (sizeOf(t.shape) !== 1) throw new ShapeError('loadWeights', `'${k}' is a batch norm's step counter, one value, but has shape ${fmtShape(t.shape)} in the file`);
      continue;
    }
    if (want && (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i]))) {
      throw new ShapeError('loadWeights', `parameter '${k}' has shape ${fmtShape(t.shape)} in the file, the model needs ${fmtShape(want)}`);
    }
    if (want && !isFloatDtype(t.dtype)) throw new ShapeError('loadWeights', `parameter '${k}' is ${t.dtype} in the file; parameters are floating point (F32, F16, BF16 or F64)`);
    values.set(k, t.data);
  }
  return values;
}
