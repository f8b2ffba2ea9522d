/**
 * The entry point for apps: `createEngine()` picks a backend (WebGPU on a hardware adapter, else
 * the wasm backend on the CPU, with the reason), loads models onto it — from the zoo, with safetensors weights from bytes,
 * a URL or a file — and frees everything with `dispose()`.
 *
 * ```ts
 * import { createEngine, classify } from 'webcnn';
 * import lenet5 from 'webcnn/weights/lenet5';          // the shipped weights, no fetch
 *
 * const engine = await createEngine();
 * if (engine.fallbackReason) console.warn(`CPU backend: ${engine.fallbackReason}`);
 * const model = await engine.load('lenet5', { weights: lenet5 });
 * const [digit] = await classify(model, canvas);        // { label, score, scores }
 * engine.dispose();
 * ```
 */
import type { Backend, BackendName } from '../backends/backend.js';
import { createBackend, checkBackendName, type CreateBackendOptions } from '../backends/create.js';
import { DataLoadError } from '../data/mnist.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import { Model } from '../graph/model.js';
import { createModel, ZOO_NAMES, type ZooName, type ZooOptions } from '../models/index.js';
import type { OnnxModel, LoadOnnxOptions } from '../onnx/import.js';
import type { ImageInputOptions, ModelInput } from './input.js';
import type { LoadProgressOptions } from '../graph/options.js';
import { ProgressReporter, finishLoad } from '../graph/progress.js';

/** Safetensors weights: the bytes, or where to get them (a URL to fetch; in Node also a file path). */
export type WeightsSource = Uint8Array | ArrayBuffer | URL | string;

/** An ONNX model for `engine.load`: its bytes, a `File`/`Blob`, a URL, or in Node a path. */
export type OnnxSource = Uint8Array | ArrayBuffer | Blob | URL | string;

/** `engine.load`'s options for an ONNX model: `loadOnnx`'s, without the backend (the engine's). */
export type OnnxLoadOptions = Omit<LoadOnnxOptions, 'backend'>;

/** Options of `createEngine()`: which backend, and the WebGPU device options. */
export type EngineOptions = CreateBackendOptions;

/** Options of `engine.load()`: the zoo options, plus the weights to load, progress and warm-up. */
export interface LoadOptions extends Omit<ZooOptions, 'backend'>, LoadProgressOptions {
  /** Trained weights (safetensors). Without them the model has seeded random weights. */
  weights?: WeightsSource;
  /** Load a weights file that lacks some parameters (default: every parameter is required). */
  strictWeights?: boolean;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Reads safetensors bytes from any `WeightsSource`: bytes as they are; an http(s) URL with
 * `fetch`; in Node a file path or `file:` URL with node:fs. Throws `DataLoadError` naming the
 * source when it cannot be read.
 */
export async function readWeights(source: WeightsSource): Promise<Uint8Array> {
  return readBytes(source, 'weights', 'readWeights');
}

/** Bytes from a Uint8Array, ArrayBuffer, Blob/File, URL (fetched) or, in Node, a path or `file:` URL. */
async function readBytes(source: WeightsSource | Blob, what: string, op: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (!(typeof source === 'string' || source instanceof URL)) {
    throw new InvalidArgumentError(op, `${what} must be a Uint8Array, an ArrayBuffer, a Blob, a URL or a path, got ${source === null ? 'null' : typeof source}`);
  }
  const text = String(source);
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(text);
  if (isNode && (!isUrl || text.startsWith('file:'))) {
    // Hidden from bundlers, like the MNIST loader: browser builds never pull in node:fs.
    const fsName = 'node:fs/promises';
    const urlName = 'node:url';
    const { readFile } = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const path = isUrl ? ((await import(/* @vite-ignore */ urlName)) as typeof import('node:url')).fileURLToPath(text) : text;
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      throw new DataLoadError(path, `cannot read the ${what} (${(e as Error).message})`);
    }
  }
  let response: Response;
  try {
    response = await fetch(source);
  } catch (e) {
    throw new DataLoadError(text, `cannot fetch the ${what} (${(e as Error).message})`);
  }
  if (!response.ok) throw new DataLoadError(text, `fetching the ${what} failed: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** A backend with the models loaded on it. Make one with `createEngine()`. */
export class Engine {
  /** The backend every model of this engine runs on. */
  readonly backend: Backend;
  /** Why 'auto' chose a CPU backend (no adapter, or only a software one); undefined otherwise. */
  readonly fallbackReason: string | undefined;
  readonly #models = new Set<Model>();
  #disposed = false;

  /** @internal Use `createEngine()`. */
  constructor(backend: Backend, fallbackReason?: string) {
    this.backend = backend;
    this.fallbackReason = fallbackReason;
  }

  /** 'webgpu', 'wasm' or 'reference'. */
  get backendName(): BackendName {
    return this.backend.name;
  }

  #assertLive(op: string): void {
    if (this.#disposed) throw new DisposedError(`${op}: the engine was disposed`);
  }

  /**
   * Loads a model onto this engine's backend; the engine disposes it with itself. `source` is:
   * - a zoo name (`'resnet18'`): the zoo model, with `weights` (safetensors) loaded if given
   *   (checked by name and shape: `ShapeError`; a malformed file: `SafetensorsError`;
   *   unreadable: `DataLoadError`). Image inputs get the model's own preprocessing.
   * - an ONNX model: its bytes (`Uint8Array`, `ArrayBuffer`), a `File`/`Blob`, a URL (fetched),
   *   or in Node a path or `file:` URL; with `loadOnnx`'s options (`inputShapes`, `constants`,
   *   `batch`, `label`). The importer loads on first use.
   * - a `Model` built elsewhere (`Sequential`, the functional API): adopted, as `adopt()`.
   * Anything else is an InvalidArgumentError saying what `load` takes. With `warmup` the model
   * is compiled before `load` resolves (`model.warmup`), and `onProgress` follows the phases.
   */
  async load(name: ZooName, options?: LoadOptions): Promise<Model>;
  async load(source: OnnxSource, options?: OnnxLoadOptions): Promise<OnnxModel>;
  async load<M extends Model>(model: M): Promise<M>;
  async load(source: ZooName | OnnxSource | Model, options: LoadOptions | OnnxLoadOptions = {}): Promise<Model> {
    this.#assertLive('load');
    if (source instanceof Model) return this.adopt(source);
    if (typeof source === 'string' && (ZOO_NAMES as readonly string[]).includes(source)) return this.#loadZoo(source as ZooName, options as LoadOptions);
    const isBytes = source instanceof Uint8Array || source instanceof ArrayBuffer || (typeof Blob !== 'undefined' && source instanceof Blob);
    const isLocation = source instanceof URL || (typeof source === 'string' && /\.onnx$|[/\\:]/i.test(source));
    if (!isBytes && !isLocation) {
      const what = typeof source === 'string' ? `'${source}' is neither a zoo model (${ZOO_NAMES.join(', ')}) nor an .onnx URL or path` : `got ${source === null ? 'null' : typeof source}`;
      throw new InvalidArgumentError('load', `load takes a zoo model name, an ONNX model (bytes, Blob/File, URL or path) or a Model: ${what}`);
    }
    const label = (options as OnnxLoadOptions).label ?? (isLocation ? String(source) : typeof File !== 'undefined' && source instanceof File ? source.name : 'model.onnx');
    const bytes = await readBytes(source as WeightsSource | Blob, 'ONNX model', 'load');
    const { loadOnnx } = await import('../onnx/import.js');
    this.#assertLive('load');
    // loadOnnx warms up (when asked) after this engine has taken the model, so dispose() frees it mid-way.
    const { warmup, onProgress, ...onnx } = options as OnnxLoadOptions;
    return ProgressReporter.around('load', onProgress, async (progress) => {
      const model = this.#own(await loadOnnx(bytes, { ...onnx, label, backend: this.backend, onProgress: (p) => p.phase === 'ready' || progress.report(p.phase, p.done, p.total) }));
      return finishLoad(model, warmup, progress);
    });
  }

  async #loadZoo(name: ZooName, options: LoadOptions): Promise<Model> {
    const { weights, strictWeights, warmup, onProgress, ...zoo } = options;
    return ProgressReporter.around('load', onProgress, async (progress) => {
      const model = createModel(name, { ...zoo, backend: this.backend });
      if (weights !== undefined) {
        const bytes = await readWeights(weights);
        model.loadWeights(bytes, { strict: strictWeights ?? true, label: typeof weights === 'string' || weights instanceof URL ? String(weights) : `${name} weights` });
      }
      return finishLoad(this.#own(model), warmup, progress);
    });
  }

  /** Adds a model this engine loaded to the ones it disposes (or disposes it, if the engine went first). */
  #own<M extends Model>(model: M): M {
    if (this.#disposed) {
      model.dispose();
      this.#assertLive('load');
    }
    this.#models.add(model);
    return model;
  }

  /**
   * Takes charge of a model built elsewhere (`loadOnnx()`, `Sequential`, the functional API):
   * it runs on this engine's backend from now on and is disposed with the engine.
   */
  adopt<M extends Model>(model: M): M {
    this.#assertLive('adopt');
    model.useBackend(this.backend);
    this.#models.add(model);
    return model;
  }

  /** Frees every model of this engine, then the backend (its GPU device). A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const m of this.#models) m.dispose();
    this.#models.clear();
    this.backend.dispose();
  }
}

/**
 * Makes an engine: WebGPU on a hardware adapter, else the wasm backend (WebAssembly SIMD on the
 * CPU, on `threads` threads where the page may share memory), with `fallbackReason` saying why
 * (no `navigator.gpu`, no adapter, only a software one, …). Pass `{ backend: 'webgpu' }` for
 * WebGPU on any adapter (or `WebGpuUnavailableError`), `{ backend: 'wasm' }` for the CPU engine,
 * or `{ backend: 'reference' }` (also `'cpu'`) for the reference backend.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('createEngine', `options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkBackendName(options.backend, 'createEngine');
  const { backend, fallbackReason } = await createBackend(options);
  return new Engine(backend, fallbackReason);
}

/** One sample's class: the best `label`, its `score`, and every class's score. */
export interface Classification {
  label: number;
  score: number;
  scores: Float32Array;
}

/**
 * Runs `model` on `input` (anything `predict()` takes) and picks each sample's class: the
 * largest output, or for an RBF output (LeNet-5) the smallest, since its outputs are
 * distances to each digit's prototype.
 */
export async function classify(model: Model, input: ModelInput, options: { image?: ImageInputOptions } = {}): Promise<Classification[]> {
  const shapes = model.outputShapes(1);
  const classes = shapes[0].length === 2 ? shapes[0][1] : NaN;
  if (!Number.isInteger(classes)) throw new InvalidArgumentError('classify', `model '${model.name}' outputs ${JSON.stringify(shapes[0])}, not (N, classes)`);
  const out = await model.predict(input, { image: options.image });
  const last = model.graph.nodes.find((n) => n.name === model.graph.outputs[0]);
  const lowerIsBetter = last?.layer.type === 'rbf';
  const result: Classification[] = [];
  for (let s = 0; s < out.length / classes; s++) {
    const scores = out.slice(s * classes, (s + 1) * classes);
    let best = 0;
    for (let j = 1; j < classes; j++) if (lowerIsBetter ? scores[j] < scores[best] : scores[j] > scores[best]) best = j;
    result.push({ label: best, score: scores[best], scores });
  }
  return result;
}
