/**
 * The model explorer: any zoo model (small input sizes by default, seeded random weights) or
 * an ONNX file. Shows the layer table (shapes, parameters, FLOPs), the memory plan, and runs a
 * timed forward on random input with each layer's time as a bar chart (`model.profile()`: GPU
 * time on WebGPU, host time per layer on the CPU backend).
 */
import { WebGpuBackend, ZOO, ZOO_NAMES, createModel, fmtShape, type Backend, type Model, type ZooName } from 'webcnn';
import { byId, cpuBackendName, el, fmtBytes, fmtInt, fmtMs, message } from './dom.js';

/** Small inputs by default: the software adapters this runs on in CI do about 0.3 GFLOP/s. */
const DEFAULT_SIZE: Readonly<Record<ZooName, number>> = {
  lenet5: 32, lenet: 28, alexnet: 64, vgg16: 32, googlenet: 32, resnet18: 32, resnet34: 32, resnet50: 32,
  mobilenet_v2: 64, mobilenet_v3_small: 64, mobilenet_v3_large: 64, unet: 64,
};
/** AlexNet's and VGG's 4096-wide hidden dense layers are 151 MB / 411 MB of weights; 256 keeps the trunk and drops the bulk. */
const SMALL_HIDDEN = 256;

/** Random input in [-1, 1), seeded so runs compare. */
function randomInput(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

export class ExplorerPanel {
  readonly #backend: Backend;
  #model: Model | null = null;
  /** The current model came from an .onnx file (not rebuilt from the zoo form). */
  #fromOnnx = false;
  #busy = false;
  readonly #select = byId('explore-model', HTMLSelectElement);
  readonly #size = byId('explore-size', HTMLInputElement);
  readonly #batch = byId('explore-batch', HTMLInputElement);
  readonly #about = byId('explore-about');
  readonly #status = byId('explore-status');
  readonly #table = byId('explore-table', HTMLTableElement);
  readonly #caption = byId('explore-caption');
  readonly #profile = byId('profile');
  readonly #onnxStatus = byId('onnx-status');

  constructor(backend: Backend) {
    this.#backend = backend;
    for (const name of ZOO_NAMES) {
      const o = el('option', '', name);
      o.value = name;
      this.#select.append(o);
    }
    this.#select.value = 'resnet18';
    this.#size.value = String(DEFAULT_SIZE.resnet18);
    this.#select.addEventListener('change', () => {
      this.#fromOnnx = false;
      this.#size.value = String(DEFAULT_SIZE[this.#select.value as ZooName]);
      this.#describe();
    });
    this.#describe();
    byId('explore-build').addEventListener('click', () => void this.#guard(() => this.#build()));
    byId('explore-run').addEventListener('click', () => void this.#guard(() => this.#runForward()));
    const file = byId('onnx-file', HTMLInputElement);
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void this.#guard(() => this.#onnx(f));
    });
    const drop = byId('onnx-drop');
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer?.files[0];
      if (f) void this.#guard(() => this.#onnx(f));
    });
  }

  #describe(): void {
    const name = this.#select.value as ZooName;
    const big = name === 'alexnet' || name === 'vgg16';
    this.#about.textContent = `${ZOO[name].description}${big ? ` Here with ${SMALL_HIDDEN}-wide hidden dense layers instead of 4096 (same convolutional trunk) to keep the weights small.` : ''} Default input ${ZOO[name].defaultInputSize}×${ZOO[name].defaultInputSize}; ${ZOO[name].reference}`;
  }

  async #guard(fn: () => Promise<void>): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await fn();
    } catch (e) {
      this.#status.textContent = `Error: ${message(e)}`;
    } finally {
      this.#busy = false;
    }
  }

  #batchSize(): number {
    const b = Math.min(64, Math.max(1, Math.round(Number(this.#batch.value)) || 1));
    this.#batch.value = String(b);
    return b;
  }

  /** Builds the chosen zoo model (shape errors name the layer, before any GPU work). */
  #zooModel(): Model {
    const name = this.#select.value as ZooName;
    const inputSize = Math.round(Number(this.#size.value));
    const classifierHidden = name === 'alexnet' || name === 'vgg16' ? SMALL_HIDDEN : undefined;
    return createModel(name, { backend: this.#backend, inputSize, classifierHidden, seed: 1 });
  }

  #replace(model: Model): void {
    this.#model?.dispose();
    this.#model = model;
    this.#profile.replaceChildren();
  }

  async #build(): Promise<void> {
    this.#replace(this.#zooModel());
    this.#fromOnnx = false;
    this.#showTable();
  }

  /** The layer table of the current model. */
  #showTable(): void {
    const model = this.#model!;
    const batch = this.#batchSize();
    const info = model.info(batch);
    const mem = model.memoryPlan(batch);
    const body = this.#table.tBodies[0];
    body.replaceChildren(
      ...info.nodes.map((n) => {
        const tr = el('tr');
        const name = el('th', '', n.name);
        name.scope = 'row';
        tr.append(name, el('td', '', n.type), el('td', 'shape', fmtShape(n.outputShape)), el('td', 'num', fmtInt(n.paramCount)), el('td', 'num', (n.flops / 1e6).toFixed(2)));
        return tr;
      }),
    );
    const foot = this.#table.tFoot!;
    const row = (label: string, value: string) => {
      const tr = el('tr');
      const th = el('th', '', label);
      th.scope = 'row';
      th.colSpan = 3;
      const td = el('td', 'num', value);
      td.colSpan = 2;
      tr.append(th, td);
      return tr;
    };
    const fused = model.fusions();
    foot.replaceChildren(
      row('parameters (trainable)', `${fmtInt(info.totalParams)} (${fmtInt(info.trainableParams)})`),
      row('FLOPs per forward', `${(info.flops / 1e9).toFixed(3)} G`),
      row('activation memory, layer-level plan', `${fmtBytes(mem.peakBytes)} with reuse, ${fmtBytes(mem.naiveBytes)} without`),
      row('fused at inference', fused.length ? `${fused.length}: ${fused.slice(0, 4).join(', ')}${fused.length > 4 ? ', …' : ''}` : 'nothing'),
    );
    this.#caption.textContent = `${model.name}: ${info.nodes.length} layers, input ${fmtShape(info.inputShapes[0])}`;
    this.#status.textContent = `${model.name}: ${fmtInt(info.totalParams)} parameters, ${(info.flops / 1e9).toFixed(3)} GFLOPs at batch ${batch}.`;
  }

  async #runForward(): Promise<void> {
    const stale = !this.#model || this.#model.name !== this.#select.value || this.#model.graph.inputs[0].shape[2] !== Number(this.#size.value);
    if (!this.#fromOnnx && stale) await this.#build();
    const model = this.#model!;
    const batch = this.#batchSize();
    this.#showTable();
    const x = randomInput(model.info(batch).inputShapes[0].reduce((a, b) => a * b, 1), 7);
    this.#status.textContent = `${model.name}: first run (uploads weights, records the plan, compiles the pipelines)…`;
    const t0 = performance.now();
    await model.predict(x, batch);
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    await model.predict(x, batch);
    const ms = performance.now() - t1;
    const onGpu = this.#backend instanceof WebGpuBackend;
    if (onGpu) {
      const m = (await model.plan(batch)).memory;
      this.#status.textContent = `${model.name}: first run ${fmtMs(firstMs)} (plan and pipeline compile), then ${fmtMs(ms)} per forward in one submit. Execution plan: ${fmtInt(m.buffers)} buffers, ${fmtBytes(m.peakBytes)} of activations (reuse saved ${fmtBytes(m.savedBytes)} of ${fmtBytes(m.naiveBytes)}). Timing each layer…`;
    } else {
      this.#status.textContent = `${model.name} on ${cpuBackendName(this.#backend)}: first run ${fmtMs(firstMs)}, then ${fmtMs(ms)}. Timing each layer…`;
    }
    const prof = await model.profile(x, batch);
    const source = prof.source === 'timestamp-query' ? 'GPU timestamps' : onGpu ? 'CPU clock, one dispatch at a time' : 'CPU clock, one layer at a time';
    this.#status.textContent = this.#status.textContent.replace('Timing each layer…', `Per-layer times (${source}) sum to ${fmtMs(prof.totalMs)}.`);
    this.#showProfile(prof.layers, onGpu ? 'GPU' : 'CPU');
  }

  #showProfile(layers: readonly { name: string; ms: number; dispatches: number }[], device: 'GPU' | 'CPU'): void {
    const max = Math.max(1e-9, ...layers.map((l) => l.ms));
    const list = el('ol', 'bars');
    list.setAttribute('aria-label', `${device} time of each layer`);
    for (const l of layers) {
      const li = el('li');
      const label = el('span', 'name', l.name);
      const track = el('span', 'track');
      const bar = el('span', 'bar');
      bar.style.width = `${(l.ms / max) * 100}%`;
      track.append(bar);
      track.setAttribute('aria-hidden', 'true');
      li.append(label, track, el('span', 'value', `${fmtMs(l.ms)}${l.dispatches > 1 ? ` (${l.dispatches} dispatches)` : ''}`));
      list.append(li);
    }
    const top = [...layers].sort((a, b) => b.ms - a.ms).slice(0, 3);
    const h = el('h3', '', `${device} time per layer`);
    const p = el('p', 'hint', `Slowest: ${top.map((l) => `${l.name} ${fmtMs(l.ms)}`).join(', ')}.`);
    this.#profile.replaceChildren(h, p, list);
  }

  /** Imports an .onnx file (the importer loads on first use) and shows its layers; "Run" then runs it. */
  async #onnx(file: File): Promise<void> {
    this.#onnxStatus.textContent = `Importing ${file.name} (${fmtBytes(file.size)})…`;
    const { loadOnnx } = await import('webcnn/onnx');
    let model: Model;
    let about: string;
    try {
      const m = await loadOnnx(new Uint8Array(await file.arrayBuffer()), { backend: this.#backend, label: file.name, batch: this.#batchSize() });
      if (m.graph.inputs.length !== 1) {
        m.dispose();
        throw new Error(`it has ${m.graph.inputs.length} inputs; the explorer runs models with one`);
      }
      const { opset, onnxNodes, producer } = m.onnx;
      about = `opset ${opset}, ${onnxNodes} ONNX nodes became ${m.graph.nodes.length} layers${producer ? ` (made by ${producer})` : ''}. "Run a timed forward" runs it on random input.`;
      model = m;
    } catch (e) {
      this.#onnxStatus.textContent = `${file.name}: ${message(e)}`;
      return;
    }
    this.#replace(model);
    this.#fromOnnx = true;
    this.#onnxStatus.textContent = `${file.name}: ${about}`;
    this.#showTable();
  }
}
