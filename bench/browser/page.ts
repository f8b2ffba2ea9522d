/**
 * The benchmark page: webcnn, tfjs-webgpu, onnxruntime-web (WebGPU and WASM) side by side in one
 * page session on the same adapter, on the same models with the same weights (files written by
 * bench/export_models.py into bench/.cache/). `bench/run.ts` drives it through
 * `window.__bench`; nothing here decides what to run.
 *
 * Timing, the same for every engine: the host input (a Float32Array in the engine's layout) to
 * the host output (a Float32Array), awaited. `firstRunMs` is time to the first result from model
 * bytes in memory: building the model / session (weight upload, graph optimisation) plus the
 * first run (shader compilation). Then `warmup` runs, then `runs` timed runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
// tfjs-core registers no gradients by itself (the tfjs umbrella package does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGpuBackend, createModel, ZOO_NAMES, type Model, type ZooName, type Tensor } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { fit } from 'webcnn/train';
// onnxruntime-web's WebGPU build: the WebGPU and WASM providers; its .wasm is served from node_modules.
import * as ort from 'onnxruntime-web/webgpu';
import { readSafetensors } from 'webcnn';
import { TfjsInference, TfjsTrainer } from './tfjs_net.js';
import type { Engine, ModelCase, ModelResult, TrainingCase, TrainingResult, KernelCase, KernelResult, LayerTime, AdapterReport } from '../report.js';
import { summarize } from '../report.js';

declare global {
  interface Window {
    __bench?: BenchApi;
  }
}

export interface BenchApi {
  adapter(): Promise<AdapterReport>;
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

let tfReady: Promise<void> | undefined;
function tfjs(): Promise<void> {
  tfReady ??= tf.setBackend('webgpu').then(async (ok) => {
    if (!ok) throw new Error('bench page: tfjs could not start its WebGPU backend');
    await tf.ready();
  });
  return tfReady;
}

function zooModel(c: { model: string; size: number; classifierHidden?: number }, backend: WebGpuBackend): Model {
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
async function webcnnModel(c: ModelCase, backend: WebGpuBackend, weights: Uint8Array, onnx: Uint8Array): Promise<Model> {
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
    webcnnOut ??= engine === 'webcnn' ? m.out : undefined;
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
      if (engine === 'webcnn') {
        const be = await webcnn();
        let model: Model | undefined;
        const m = await measure(
          async () => {
            model = await webcnnModel(c, be, weights, onnx);
          },
          () => model!.predict(input, c.batch),
          c.warmup, c.runs,
        );
        const prof = await model!.profile(input, c.batch);
        const profile: LayerTime[] = [...prof.layers].map((l) => ({ name: l.name, ms: l.ms, dispatches: l.dispatches }));
        record(engine, m, { profile, profileSource: prof.source, webcnnFrom: webcnnSource(c.model) });
        model!.dispose();
      } else if (engine === 'tfjs-webgpu') {
        await tfjs();
        const nhwc = nchwToNhwc(input, shape);
        const nhwcShape = [shape[0], shape[2], shape[3], shape[1]] as const;
        let net: TfjsInference | undefined;
        const m = await measure(
          async () => {
            // The graph webcnn runs (the zoo's, or the one imported from the ONNX export, whose
            // weights are the export's), written with tfjs ops.
            const be = await webcnn();
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
      } else {
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
      if (engine === 'webcnn') {
        const model = zooModel(c, await webcnn());
        model.loadWeights(weights);
        // Epoch 1 compiles and warms up; epoch 2 is the measurement.
        const history = await fit(model, { images, labels }, {
          epochs: 2, batchSize: c.batch, shuffle: false, optimizer: { type: 'sgd', lr: c.lr, momentum: c.momentum },
        });
        const e = history.epochs[1];
        out.push({ model: c.model, engine, batch: c.batch, imagesPerSec: e.imagesPerSec, steps: c.steps, finalLoss: e.loss });
        model.dispose();
      } else if (engine === 'tfjs-webgpu') {
        await tfjs();
        const graphModel = zooModel(c, await webcnn());
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

async function runKernels(c: KernelCase): Promise<KernelResult[]> {
  const be = await webcnn();
  await tfjs();
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
  const push = (kernel: 'matmul' | 'conv2d', shape: string, engine: Engine, flops: number, times: number[]) => {
    const s = summarize(times);
    out.push({ kernel, shape, engine, medianMs: s.median, gflops: flops / (s.median * 1e6) });
    log(`kernel ${kernel} ${shape} ${engine}: ${s.median.toFixed(2)} ms, ${(flops / (s.median * 1e6)).toFixed(2)} GFLOP/s`);
  };
  for (const n of c.matmul) {
    const a = seeded(n * n, 1);
    const b = seeded(n * n, 2);
    const ga = be.tensor(a, [n, n]);
    const gb = be.tensor(b, [n, n]);
    push('matmul', `${n}x${n}x${n}`, 'webcnn', 2 * n ** 3, await time(async () => {
      const y: Tensor = be.matmul(ga, gb);
      await y.read();
      y.dispose();
    }));
    ga.dispose();
    gb.dispose();
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    push('matmul', `${n}x${n}x${n}`, 'tfjs-webgpu', 2 * n ** 3, await time(async () => {
      const y = tf.matMul(ta, tb);
      await y.data();
      y.dispose();
    }));
    ta.dispose();
    tb.dispose();
  }
  for (const s of c.conv) {
    const [n, ci, h, w] = s.x;
    const [co, , k] = s.w;
    const ho = Math.floor((h + 2 * s.pad - k) / s.stride) + 1;
    const wo = Math.floor((w + 2 * s.pad - k) / s.stride) + 1;
    const flops = 2 * n * co * ho * wo * ci * k * k;
    const name = `${n}x${ci}x${h}x${w} -> ${co} @${k}x${k} s${s.stride} p${s.pad}`;
    const x = seeded(n * ci * h * w, 3);
    const wt = seeded(co * ci * k * k, 4);
    const gx = be.tensor(x, [n, ci, h, w]);
    const gw = be.tensor(wt, [co, ci, k, k]);
    push('conv2d', name, 'webcnn', flops, await time(async () => {
      const y = be.conv2d(gx, gw, undefined, { stride: s.stride, padding: s.pad });
      await y.read();
      y.dispose();
    }));
    gx.dispose();
    gw.dispose();
    const tx = tf.tensor4d(nchwToNhwc(x, [n, ci, h, w]), [n, h, w, ci]);
    const tw = tf.transpose(tf.tensor4d(wt, [co, ci, k, k]), [2, 3, 1, 0]) as tf.Tensor4D;
    push('conv2d', name, 'tfjs-webgpu', flops, await time(async () => {
      const y = tf.conv2d(tx, tw, s.stride, s.pad);
      await y.data();
      y.dispose();
    }));
    tx.dispose();
    tw.dispose();
  }
  return out;
}

async function adapter(): Promise<AdapterReport> {
  const be = await webcnn();
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  ort.env.wasm.numThreads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  return {
    ...be.ctx.info,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
    ortWasmThreads: ort.env.wasm.numThreads,
    features: [...be.device.features].sort(),
    maxStorageBufferBindingSize: be.device.limits.maxStorageBufferBindingSize,
  };
}

window.__bench = { adapter, model: runModel, training: runTraining, kernels: runKernels };
log('bench page ready');
