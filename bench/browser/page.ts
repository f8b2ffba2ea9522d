/**
 * The benchmark page: webcnn, tfjs-webgpu and onnxruntime-web on WebGPU, and webcnn-wasm,
 * onnxruntime-web's WASM provider and tfjs-wasm on the CPU (the same thread count for all three),
 * side by side in one page session, on the same models with the same weights (files written by
 * bench/export_models.py into bench/.cache/); LeNet training also on TensorFlow.js's plain-JS CPU
 * backend. `bench/run.ts` drives it through `window.__bench`; nothing here decides what to run.
 *
 * Timing, the same for every engine: the host input (a Float32Array in the engine's layout) to
 * the host output (a Float32Array), awaited. `firstRunMs` is time to the first result from model
 * bytes in memory: building the model / session (weight upload, graph optimisation) plus the
 * first run (shader compilation). Then `warmup` runs, then `runs` timed runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-cpu';
// tfjs's WASM backend (XNNPACK): its .wasm files are served from node_modules, like ort's.
import { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core registers no gradients by itself (the tfjs umbrella package does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGpuBackend, CpuBackend, createEngine, createModel, ZOO_NAMES, type Backend, type Engine as WebcnnEngine, type Model, type ZooName, type Tensor } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { fit } from 'webcnn/train';
// onnxruntime-web's WebGPU build: the WebGPU and WASM providers; its .wasm is served from node_modules.
import * as ort from 'onnxruntime-web/webgpu';
import { readSafetensors } from 'webcnn';
import { TfjsInference, TfjsTrainer } from './tfjs_net.js';
import type { Engine, ModelCase, ModelResult, TrainingCase, TrainingResult, KernelCase, KernelResult, LayerTime, AdapterReport } from '../report.js';
import { summarize, WEBCNN_ENGINES } from '../report.js';

declare global {
  interface Window {
    __bench?: BenchApi;
  }
}

export interface BenchApi {
  /** Starts webcnn's WebGPU backend and sets the CPU engines' thread count (default: navigator.hardwareConcurrency). */
  adapter(o: { threads?: number }): Promise<AdapterReport>;
  /** The thread count each CPU engine reports using (null before it started, or when it does not say). */
  threadsUsed(): Promise<Record<string, number | null>>;
  model(c: ModelCase): Promise<ModelResult[]>;
  training(c: TrainingCase): Promise<TrainingResult[]>;
  kernels(c: KernelCase): Promise<KernelResult[]>;
}

const log = (s: string) => {
  const el = document.getElementById('log');
  if (el) el.textContent += `${s}\n`;
  console.log(s);
};

async function bytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`bench page: ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
const f32 = async (url: string) => {
  const b = await bytes(url);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`bench page: outputs of ${a.length} and ${b.length} values cannot be compared`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return out;
}

/** firstRunMs, then `warmup` untimed and `runs` timed calls of `run`. */
async function measure(build: () => Promise<void>, run: () => Promise<Float32Array>, warmup: number, runs: number): Promise<{ first: number; times: number[]; out: Float32Array }> {
  const t0 = performance.now();
  await build();
  const out = await run();
  const first = performance.now() - t0;
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { first, times, out };
}

let webcnnBackend: WebGpuBackend | undefined;
async function webcnn(): Promise<WebGpuBackend> {
  webcnnBackend ??= await WebGpuBackend.create();
  return webcnnBackend;
}

/** The CPU engines' thread count, set by `adapter()` before any of them starts. */
let cpuThreads = 1;

/**
 * webcnn's WebAssembly backend, on `cpuThreads` threads; made once. Until webcnn has it,
 * `createEngine` rejects the name and every webcnn-wasm case records that error.
 */
let wasmEngine: Promise<WebcnnEngine> | undefined;
async function webcnnWasm(): Promise<Backend> {
  wasmEngine ??= createEngine({ backend: 'wasm', threads: cpuThreads });
  return (await wasmEngine).backend;
}

/**
 * Where the tfjs engines get the graph and weights webcnn runs: webcnn's CPU reference backend,
 * which only builds the model (it never runs it), so no tfjs engine needs WebGPU for it.
 */
let graphBackend: CpuBackend | undefined;
const graphSource = (): CpuBackend => (graphBackend ??= new CpuBackend());

/** The backend of a webcnn engine. */
const webcnnOn = (engine: Engine): Promise<Backend> => (engine === 'webcnn-wasm' ? webcnnWasm() : webcnn());

type TfBackend = 'webgpu' | 'wasm' | 'cpu';
const tfjsEngine: Partial<Record<Engine, TfBackend>> = { 'tfjs-webgpu': 'webgpu', 'tfjs-wasm': 'wasm', 'tfjs-cpu': 'cpu' };

/**
 * Makes `name` tfjs's current backend (tensors made from now on live there). The WASM backend
 * reads its paths and thread count when it first starts, so they are set before.
 */
async function tfjs(name: TfBackend = 'webgpu'): Promise<void> {
  if (name !== 'wasm' || tfWasmStarted) {
    if (!(await tf.setBackend(name))) throw new Error(`bench page: tfjs could not start its ${name} backend`);
    await tf.ready();
    return;
  }
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  setThreadsCount(cpuThreads);
  // tfjs-wasm caps its thread pool at navigator.hardwareConcurrency / 2 (it assumes two hardware
  // threads per core), read once as its module starts: it is shown twice the asked count until
  // then, so that it runs on as many threads as the other CPU engines (getThreadsCount() says).
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * cpuThreads });
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('bench page: tfjs could not start its wasm backend');
    await tf.ready();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
  tfWasmStarted = true;
  const [simd, threads] = await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')]);
  log(`tfjs-wasm: SIMD ${String(simd)}, threads ${String(threads)}: ${getThreadsCount()} thread(s) of ${cpuThreads} asked (navigator.hardwareConcurrency ${navigator.hardwareConcurrency})`);
}
let tfWasmStarted = false;

function zooModel(c: { model: string; size: number; classifierHidden?: number }, backend: Backend): Model {
  return createModel(c.model as ZooName, {
    backend,
    inputSize: c.size,
    // torchvision's AlexNet has no LRN; the exported twin is torchvision's.
    ...(c.model === 'alexnet' ? { lrn: false } : {}),
    ...(c.model === 'alexnet' || c.model === 'vgg16' ? { classifierHidden: c.classifierHidden } : {}),
  });
}

const cacheUrl = (file: string) => `/bench/.cache/${file}`;

/**
 * How webcnn runs a model: from the zoo with the safetensors weights loaded by name, or, for a
 * model the zoo lacks (EfficientNet-B0), from the ONNX export through `loadOnnx`.
 */
const webcnnSource = (model: string): 'zoo' | 'onnx' => ((ZOO_NAMES as readonly string[]).includes(model) ? 'zoo' : 'onnx');

/** webcnn's model for a case, on `backend`, with the exported weights. */
async function webcnnModel(c: ModelCase, backend: Backend, weights: Uint8Array, onnx: Uint8Array): Promise<Model> {
  if (webcnnSource(c.model) === 'onnx') return loadOnnx(onnx, { backend, label: `${c.key}-b${c.batch}.onnx` });
  const model = zooModel(c, backend);
  model.loadWeights(weights, { label: `${c.key}.safetensors` });
  return model;
}

async function runModel(c: ModelCase): Promise<ModelResult[]> {
  const stem = `${c.key}-b${c.batch}`;
  const [weights, input, reference, onnx] = await Promise.all([
    bytes(cacheUrl(`${c.key}.safetensors`)),
    f32(cacheUrl(`${stem}.input.f32`)),
    f32(cacheUrl(`${stem}.torch.f32`)),
    bytes(cacheUrl(`${stem}.onnx`)),
  ]);
  const shape = [c.batch, c.channels, c.size, c.size] as const;
  const results: ModelResult[] = [];
  let webcnnOut: Float32Array | undefined;
  const record = (engine: Engine, m: { first: number; times: number[]; out: Float32Array }, extra: Partial<ModelResult> = {}) => {
    // The first webcnn engine's output (webcnn's, else webcnn-wasm's) is what every engine is compared with.
    webcnnOut ??= WEBCNN_ENGINES.includes(engine) ? m.out : undefined;
    const s = summarize(m.times);
    const r: ModelResult = {
      model: c.model, input: [...shape], batch: c.batch, engine,
      medianMs: s.median, minMs: s.min, maxMs: s.max, firstRunMs: m.first,
      maxAbsDiff: webcnnOut ? maxAbsDiff(m.out, webcnnOut) : null,
      vsTorch: maxAbsDiff(m.out, reference),
      ...extra,
    };
    results.push(r);
    log(`${c.model} b${c.batch} ${engine}${r.webcnnFrom ? ` (from the ${r.webcnnFrom === 'zoo' ? 'zoo' : 'ONNX export'})` : ''}: median ${s.median.toFixed(1)} ms, first ${m.first.toFixed(0)} ms, Δwebcnn ${r.maxAbsDiff}, Δtorch ${r.vsTorch}`);
  };

  for (const engine of c.engines) {
    try {
      if (engine === 'webcnn' || engine === 'webcnn-wasm') {
        const be = await webcnnOn(engine);
        let model: Model | undefined;
        const m = await measure(
          async () => {
            model = await webcnnModel(c, be, weights, onnx);
          },
          () => model!.predict(input, c.batch),
          c.warmup, c.runs,
        );
        if (engine === 'webcnn') {
          // Per-layer GPU times, for the hot spots.
          const prof = await model!.profile(input, c.batch);
          const profile: LayerTime[] = [...prof.layers].map((l) => ({ name: l.name, ms: l.ms, dispatches: l.dispatches }));
          record(engine, m, { profile, profileSource: prof.source, webcnnFrom: webcnnSource(c.model) });
        } else {
          record(engine, m, { webcnnFrom: webcnnSource(c.model) });
        }
        model!.dispose();
      } else if (engine === 'tfjs-webgpu' || engine === 'tfjs-wasm') {
        await tfjs(tfjsEngine[engine]);
        const nhwc = nchwToNhwc(input, shape);
        const nhwcShape = [shape[0], shape[2], shape[3], shape[1]] as const;
        let net: TfjsInference | undefined;
        const m = await measure(
          async () => {
            // The graph webcnn runs (the zoo's, or the one imported from the ONNX export, whose
            // weights are the export's), written with tfjs ops.
            const be = graphSource();
            const zoo = webcnnSource(c.model) === 'zoo';
            const graphModel = zoo ? zooModel(c, be) : await loadOnnx(onnx, { backend: be, label: `${c.key}-b${c.batch}.onnx` });
            const values = zoo ? new Map([...readSafetensors(weights).tensors].map(([k, t]) => [k, t.data])) : graphModel.getWeights();
            net = new TfjsInference(graphModel.graph, values);
            graphModel.dispose();
          },
          () => net!.run(nhwc, nhwcShape),
          c.warmup, c.runs,
        );
        record(engine, m);
        net!.dispose();
      } else if (engine === 'ort-webgpu' || engine === 'ort-wasm') {
        const ep = engine === 'ort-webgpu' ? 'webgpu' : 'wasm';
        let session: ort.InferenceSession | undefined;
        const m = await measure(
          async () => {
            session = await ort.InferenceSession.create(onnx, { executionProviders: [ep], graphOptimizationLevel: 'all' });
          },
          async () => {
            const out = await session!.run({ input: new ort.Tensor('float32', input, shape) });
            return out.output.data as Float32Array;
          },
          c.warmup, c.runs,
        );
        record(engine, m);
        await session!.release();
      } else {
        throw new Error(`${engine} does not run models`);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      log(`${c.model} b${c.batch} ${engine}: FAILED ${msg}`);
      results.push({ model: c.model, input: [...shape], batch: c.batch, engine, medianMs: null, minMs: null, maxMs: null, firstRunMs: null, maxAbsDiff: null, error: msg });
    }
  }
  return results;
}

/** Seeded uniform values in [-1, 1) (xorshift32), so every engine trains on the same batch. */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function runTraining(c: TrainingCase): Promise<TrainingResult[]> {
  const weights = await bytes(cacheUrl(`${c.key}.safetensors`));
  const per = c.channels * c.size * c.size;
  const count = c.batch * c.steps;
  const images = seeded(count * per, 11);
  const labels = Float32Array.from(seeded(count, 12), (v) => Math.floor((v + 1) * 5) % 10);
  const out: TrainingResult[] = [];
  for (const engine of c.engines) {
    try {
      if (engine === 'webcnn' || engine === 'webcnn-wasm') {
        const model = zooModel(c, await webcnnOn(engine));
        model.loadWeights(weights);
        // Epoch 1 compiles and warms up; epoch 2 is the measurement.
        const history = await fit(model, { images, labels }, {
          epochs: 2, batchSize: c.batch, shuffle: false, optimizer: { type: 'sgd', lr: c.lr, momentum: c.momentum },
        });
        const e = history.epochs[1];
        out.push({ model: c.model, engine, batch: c.batch, imagesPerSec: e.imagesPerSec, steps: c.steps, finalLoss: e.loss });
        model.dispose();
      } else if (engine === 'tfjs-webgpu' || engine === 'tfjs-cpu') {
        await tfjs(tfjsEngine[engine]);
        const graphModel = zooModel(c, graphSource());
        const file = readSafetensors(weights);
        const trainer = new TfjsTrainer(graphModel.graph, new Map([...file.tensors].map(([k, t]) => [k, t.data])), { lr: c.lr, momentum: c.momentum });
        graphModel.dispose();
        const nhwc = nchwToNhwc(images, [count, c.channels, c.size, c.size]);
        const epoch = async (): Promise<{ ms: number; loss: number }> => {
          const t0 = performance.now();
          let loss = NaN;
          for (let s = 0; s < c.steps; s++) {
            const last = s === c.steps - 1;
            const x = tf.tensor4d(nhwc.subarray(s * c.batch * per, (s + 1) * c.batch * per), [c.batch, c.size, c.size, c.channels]);
            const y = tf.tensor1d(labels.subarray(s * c.batch, (s + 1) * c.batch), 'int32');
            const l = trainer.step(x, y, last);
            if (l) loss = await l;
            x.dispose();
            y.dispose();
          }
          return { ms: performance.now() - t0, loss };
        };
        await epoch();
        const e = await epoch();
        out.push({ model: c.model, engine, batch: c.batch, imagesPerSec: (count * 1000) / e.ms, steps: c.steps, finalLoss: e.loss });
        trainer.dispose();
      } else {
        throw new Error(`${engine} does not train`);
      }
      const r = out[out.length - 1];
      log(`train ${c.model} b${c.batch} ${engine}: ${(r.imagesPerSec ?? NaN).toFixed(1)} images/s, last loss ${r.finalLoss}`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      log(`train ${c.model} ${engine}: FAILED ${msg}`);
      out.push({ model: c.model, engine, batch: c.batch, imagesPerSec: null, steps: c.steps, error: msg });
    }
  }
  return out;
}

/** A kernel set up on one engine: `run` computes it and reads the result back; `dispose` frees its inputs. */
interface KernelRun {
  run: () => Promise<void>;
  dispose: () => void;
}

async function runKernels(c: KernelCase): Promise<KernelResult[]> {
  const out: KernelResult[] = [];
  const time = async (f: () => Promise<unknown>): Promise<number[]> => {
    for (let i = 0; i < c.warmup; i++) await f();
    const t: number[] = [];
    for (let i = 0; i < c.runs; i++) {
      const t0 = performance.now();
      await f();
      t.push(performance.now() - t0);
    }
    return t;
  };
  /** Times one kernel on every engine of the case: webcnn's backends through their methods, tfjs's through its ops. */
  const onEngines = async (kernel: 'matmul' | 'conv2d', shape: string, flops: number, onWebcnn: (be: Backend) => KernelRun, onTfjs: () => KernelRun) => {
    for (const engine of c.engines) {
      try {
        let k: KernelRun;
        if (WEBCNN_ENGINES.includes(engine)) {
          k = onWebcnn(await webcnnOn(engine));
        } else {
          const backend = tfjsEngine[engine];
          if (!backend) throw new Error(`${engine} has no kernel benchmark`);
          await tfjs(backend);
          k = onTfjs();
        }
        try {
          const s = summarize(await time(k.run));
          out.push({ kernel, shape, engine, medianMs: s.median, gflops: flops / (s.median * 1e6) });
          log(`kernel ${kernel} ${shape} ${engine}: ${s.median.toFixed(2)} ms, ${(flops / (s.median * 1e6)).toFixed(2)} GFLOP/s`);
        } finally {
          k.dispose();
        }
      } catch (e) {
        log(`kernel ${kernel} ${shape} ${engine}: FAILED ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  for (const n of c.matmul) {
    const a = seeded(n * n, 1);
    const b = seeded(n * n, 2);
    await onEngines('matmul', `${n}x${n}x${n}`, 2 * n ** 3, (be) => {
      const ga = be.tensor(a, [n, n]);
      const gb = be.tensor(b, [n, n]);
      return {
        run: async () => {
          const y: Tensor = be.matmul(ga, gb);
          await y.read();
          y.dispose();
        },
        dispose: () => {
          ga.dispose();
          gb.dispose();
        },
      };
    }, () => {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return {
        run: async () => {
          const y = tf.matMul(ta, tb);
          await y.data();
          y.dispose();
        },
        dispose: () => {
          ta.dispose();
          tb.dispose();
        },
      };
    });
  }
  for (const s of c.conv) {
    const [n, ci, h, w] = s.x;
    const [co, , k] = s.w;
    const ho = Math.floor((h + 2 * s.pad - k) / s.stride) + 1;
    const wo = Math.floor((w + 2 * s.pad - k) / s.stride) + 1;
    const flops = 2 * n * co * ho * wo * ci * k * k;
    const x = seeded(n * ci * h * w, 3);
    const wt = seeded(co * ci * k * k, 4);
    await onEngines('conv2d', `${n}x${ci}x${h}x${w} -> ${co} @${k}x${k} s${s.stride} p${s.pad}`, flops, (be) => {
      const gx = be.tensor(x, [n, ci, h, w]);
      const gw = be.tensor(wt, [co, ci, k, k]);
      return {
        run: async () => {
          const y = be.conv2d(gx, gw, undefined, { stride: s.stride, padding: s.pad });
          await y.read();
          y.dispose();
        },
        dispose: () => {
          gx.dispose();
          gw.dispose();
        },
      };
    }, () => {
      const tx = tf.tensor4d(nchwToNhwc(x, [n, ci, h, w]), [n, h, w, ci]);
      const tw = tf.tidy(() => tf.transpose(tf.tensor4d(wt, [co, ci, k, k]), [2, 3, 1, 0]) as tf.Tensor4D);
      return {
        run: async () => {
          const y = tf.conv2d(tx, tw, s.stride, s.pad);
          await y.data();
          y.dispose();
        },
        dispose: () => {
          tx.dispose();
          tw.dispose();
        },
      };
    });
  }
  return out;
}

async function adapter(o: { threads?: number } = {}): Promise<AdapterReport> {
  // One thread count for every CPU engine; threads need a cross-origin-isolated page (SharedArrayBuffer).
  cpuThreads = o.threads ?? (self.crossOriginIsolated ? navigator.hardwareConcurrency : 1);
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  ort.env.wasm.numThreads = cpuThreads;
  const page = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
    cpuThreads,
  };
  let be: WebGpuBackend;
  try {
    be = await webcnn();
  } catch (e) {
    // No WebGPU: the CPU engines still run; the WebGPU ones record the error case by case.
    return { vendor: 'none', architecture: '', device: '', description: `no WebGPU adapter: ${e instanceof Error ? e.message : String(e)}`, isSoftware: false, ...page };
  }
  return {
    ...be.ctx.info,
    ...page,
    features: [...be.device.features].sort(),
    maxStorageBufferBindingSize: be.device.limits.maxStorageBufferBindingSize,
  };
}

/**
 * The thread count each CPU engine uses: ort-wasm's setting once a session has started (ort drops
 * to 1 without cross-origin isolation), tfjs-wasm's XNNPACK pool, and webcnn-wasm's engine's
 * `threads` (null when it does not say or did not start).
 */
async function threadsUsed(): Promise<Record<string, number | null>> {
  let tfjsWasm: number | null = null;
  try {
    tfjsWasm = getThreadsCount();
  } catch {
    // tfjs-wasm has not started.
  }
  const engine = wasmEngine ? await wasmEngine.catch(() => undefined) : undefined;
  const said = (engine as { threads?: unknown } | undefined)?.threads ?? (engine?.backend as { threads?: unknown } | undefined)?.threads;
  return {
    'webcnn-wasm': typeof said === 'number' ? said : null,
    'ort-wasm': ort.env.wasm.numThreads ?? null,
    'tfjs-wasm': tfjsWasm,
  };
}

window.__bench = { adapter, threadsUsed, model: runModel, training: runTraining, kernels: runKernels };
log('bench page ready');
