/**
 * The training panel: fit LeNet-5 or LeNet on MNIST in the browser with `model.fit`, showing
 * progress, live loss and accuracy plots and images/s. Pause aborts fit at the next batch
 * (it keeps the weights so far); resume carries on from those weights at the same place in the
 * epoch: each epoch's order is shuffled here and fit runs on the part not yet seen, so a pause
 * costs only the optimizer's moments (Adam restarts them, as a new fit does).
 */
import { WebGpuBackend, type Backend, type Model } from 'webcnn';
import type { MnistData, OptimizerConfig } from 'webcnn/train';
import { DIGIT_SPECS, makeDigitModel, modelInput, fetchShippedWeights, type DigitModelName } from './models.js';
import { mnist } from './data.js';
import { LineChart } from './chart.js';
import { byId, fmtInt, message, nextFrame } from './dom.js';
import type { DrawPanel } from './draw_panel.js';

type State = 'idle' | 'loading' | 'running' | 'pausing' | 'paused' | 'done';

interface Run {
  model: Model;
  name: DigitModelName;
  /** Training inputs as the model reads them, and labels. */
  images: Float32Array;
  labels: Float32Array;
  count: number;
  test: { images: Float32Array; labels: Float32Array } | null;
  per: number;
  epoch: number;
  /** Images of the current epoch already trained on. */
  doneInEpoch: number;
  /** This epoch's order, applied (a copy of the data). */
  order: { images: Float32Array; labels: Float32Array } | null;
  testAccuracy: number | null;
  seed: number;
}

/** mulberry32, seeding each epoch's shuffle. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clampInt(input: HTMLInputElement, lo: number, hi: number, fallback: number): number {
  const v = Math.round(Number(input.value));
  const ok = Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
  input.value = String(ok);
  return ok;
}

export class TrainPanel {
  readonly #backend: Backend;
  readonly #pad: DrawPanel;
  #state: State = 'idle';
  #run: Run | null = null;
  #abort: AbortController | null = null;
  readonly #modelSel = byId('train-model', HTMLSelectElement);
  readonly #init = byId('train-init', HTMLSelectElement);
  readonly #optimizer = byId('train-optimizer', HTMLSelectElement);
  readonly #lr = byId('train-lr', HTMLInputElement);
  readonly #batch = byId('train-batch', HTMLSelectElement);
  readonly #epochs = byId('train-epochs', HTMLInputElement);
  readonly #size = byId('train-size', HTMLInputElement);
  readonly #testSize = byId('test-size', HTMLInputElement);
  readonly #start = byId('train-start', HTMLButtonElement);
  readonly #pause = byId('train-pause', HTMLButtonElement);
  readonly #use = byId('train-use', HTMLButtonElement);
  readonly #download = byId('train-download', HTMLButtonElement);
  readonly #progress = byId('train-progress', HTMLProgressElement);
  readonly #progressText = byId('train-progress-text');
  readonly #status = byId('train-status');
  readonly #loss: LineChart;
  readonly #acc: LineChart;

  constructor(backend: Backend, pad: DrawPanel, params: URLSearchParams) {
    this.#backend = backend;
    this.#pad = pad;
    // URL parameters preset the form (e.g. ?train=256&test=100&epochs=1 for a quick run).
    const preset: [string, HTMLInputElement | HTMLSelectElement][] = [
      ['train', this.#size], ['test', this.#testSize], ['epochs', this.#epochs], ['batch', this.#batch], ['lr', this.#lr],
      ['optimizer', this.#optimizer], ['model', this.#modelSel],
    ];
    for (const [k, input] of preset) {
      const v = params.get(k);
      if (v !== null) input.value = v;
    }
    this.#optimizer.addEventListener('change', () => {
      this.#lr.value = this.#optimizer.value === 'sgd' ? '0.01' : '0.001';
    });
    byId('train-form', HTMLFormElement).addEventListener('submit', (e) => e.preventDefault());
    this.#loss = new LineChart(byId('loss-chart') as unknown as SVGSVGElement, {
      title: 'Training loss',
      xLabel: 'epochs',
      series: [{ name: 'training loss', colour: '#c2410c' }],
    });
    this.#acc = new LineChart(byId('acc-chart') as unknown as SVGSVGElement, {
      title: 'Accuracy',
      xLabel: 'epochs',
      yRange: [0, 1],
      series: [
        { name: 'training batches', colour: '#2563eb', format: (v) => `${(v * 100).toFixed(1)}%` },
        { name: 'test set', colour: '#15803d', dots: true, format: (v) => `${(v * 100).toFixed(1)}%` },
      ],
    });
    this.#start.addEventListener('click', () => void this.#startRun());
    this.#pause.addEventListener('click', () => (this.#state === 'paused' ? void this.#train() : this.#requestPause()));
    this.#use.addEventListener('click', () => void this.#useInPad());
    this.#download.addEventListener('click', () => this.#save());
    this.#render();
  }

  #render(): void {
    const s = this.#state;
    const hasRun = this.#run !== null;
    this.#start.disabled = s === 'loading' || s === 'running' || s === 'pausing';
    this.#start.textContent = hasRun && s !== 'idle' ? 'Start over' : 'Start training';
    this.#pause.disabled = !(s === 'running' || s === 'paused');
    this.#pause.textContent = s === 'paused' ? 'Resume' : 'Pause';
    const trained = hasRun && (s === 'paused' || s === 'done');
    this.#use.disabled = !trained;
    this.#download.disabled = !trained;
    // What the run is made of is fixed while it exists; the optimizer and epochs can change at a pause.
    const fixed = s === 'loading' || s === 'running' || s === 'pausing' || s === 'paused';
    for (const c of [this.#modelSel, this.#init, this.#size, this.#testSize]) c.disabled = fixed;
    for (const c of [this.#optimizer, this.#lr, this.#batch, this.#epochs]) c.disabled = s === 'loading' || s === 'running' || s === 'pausing';
  }

  #say(text: string): void {
    this.#status.textContent = text;
  }

  #optimizerConfig(): OptimizerConfig {
    const lr = Number(this.#lr.value);
    const ok = Number.isFinite(lr) && lr > 0 ? lr : this.#optimizer.value === 'sgd' ? 0.01 : 0.001;
    this.#lr.value = String(ok);
    return this.#optimizer.value === 'sgd' ? { type: 'sgd', lr: ok, momentum: 0.9, nesterov: true } : { type: 'adam', lr: ok };
  }

  async #startRun(): Promise<void> {
    this.#run?.model.dispose();
    this.#run = null;
    this.#state = 'loading';
    this.#render();
    this.#loss.clear();
    this.#acc.clear();
    this.#progress.value = 0;
    this.#progressText.textContent = '';
    const name = this.#modelSel.value as DigitModelName;
    const count = clampInt(this.#size, 32, 60000, 6000);
    const testCount = clampInt(this.#testSize, 0, 10000, 1000);
    try {
      this.#say(`Loading ${fmtInt(count)} MNIST training images${testCount ? ` and ${fmtInt(testCount)} test images` : ''}…`);
      const [train, test] = await Promise.all([mnist('train', count), testCount ? mnist('test', testCount) : Promise.resolve(null)]);
      const model = makeDigitModel(name, this.#backend, 1);
      if (this.#init.value === 'shipped') {
        const shipped = await fetchShippedWeights(name);
        if (!shipped.bytes) throw new Error(`cannot start from the shipped weights: ${shipped.reason}`);
        model.loadWeights(shipped.bytes, { label: `weights/${name}.safetensors` });
      }
      const inputs = modelInput(name, train.images, train.count);
      this.#run = {
        model, name, images: inputs, labels: train.labels, count: train.count, per: inputs.length / train.count,
        test: test ? this.#prepared(name, test) : null, epoch: 0, doneInEpoch: 0, order: null, testAccuracy: null, seed: 1,
      };
    } catch (e) {
      this.#state = 'idle';
      this.#render();
      this.#say(`Could not start: ${message(e)}`);
      return;
    }
    await this.#train();
  }

  #prepared(name: DigitModelName, d: MnistData): { images: Float32Array; labels: Float32Array } {
    return { images: modelInput(name, d.images, d.count), labels: d.labels };
  }

  /** This epoch's shuffled copy of the data. */
  #ordered(run: Run): { images: Float32Array; labels: Float32Array } {
    const rand = seeded(run.seed * 1009 + run.epoch);
    const idx = Array.from({ length: run.count }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const images = new Float32Array(run.images.length);
    const labels = new Float32Array(run.count);
    idx.forEach((src, i) => {
      images.set(run.images.subarray(src * run.per, (src + 1) * run.per), i * run.per);
      labels[i] = run.labels[src];
    });
    return { images, labels };
  }

  #requestPause(): void {
    if (this.#state !== 'running') return;
    this.#state = 'pausing';
    this.#abort?.abort();
    this.#render();
    this.#say('Pausing after this batch…');
  }

  async #train(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    this.#state = 'running';
    this.#render();
    const epochs = clampInt(this.#epochs, 1, 50, 1);
    const batchSize = Number(this.#batch.value) || 32;
    const optimizer = this.#optimizerConfig();
    const onCpu = !(this.#backend instanceof WebGpuBackend);
    const t0 = performance.now();
    let first = true;
    try {
      while (run.epoch < epochs) {
        run.order ??= this.#ordered(run);
        const from = run.doneInEpoch;
        const left = run.count - from;
        const batches = Math.ceil(left / batchSize);
        const logEvery = Math.max(1, Math.floor(batches / 150));
        this.#abort = new AbortController();
        if (first) this.#say(`Epoch ${run.epoch + 1}: recording the training step and compiling its pipelines (the first batch is slow)…`);
        const history = await run.model.fit(
          { images: run.order.images.subarray(from * run.per), labels: run.order.labels.subarray(from) },
          {
            epochs: 1, batchSize, optimizer, shuffle: false, seed: run.seed + run.epoch, logEvery, signal: this.#abort.signal,
            callbacks: {
              onBatchEnd: async (b) => {
                first = false;
                run.doneInEpoch = Math.min(run.count, from + (b.batch + 1) * batchSize);
                const x = run.epoch + run.doneInEpoch / run.count;
                if (b.loss !== undefined) this.#loss.add(0, x, b.loss);
                if (b.accuracy !== undefined) this.#acc.add(0, x, b.accuracy);
                const overall = x / epochs;
                this.#progress.value = overall;
                this.#progressText.textContent = `${(overall * 100).toFixed(1)}%`;
                this.#progress.setAttribute('aria-valuetext', `${(overall * 100).toFixed(0)} percent`);
                if (this.#state === 'running') {
                  this.#say(
                    `Epoch ${run.epoch + 1} of ${epochs}, image ${fmtInt(run.doneInEpoch)} of ${fmtInt(run.count)}` +
                      `${b.loss !== undefined ? `, loss ${b.loss.toFixed(3)}` : ''}${b.accuracy !== undefined ? `, batch accuracy ${(b.accuracy * 100).toFixed(0)}%` : ''}` +
                      `, ${b.imagesPerSec.toFixed(0)} images/s${onCpu ? ' (CPU)' : ''}.`,
                  );
                }
                if (onCpu) await nextFrame(); // the CPU backend trains synchronously: let the page breathe
              },
            },
          },
        );
        if (history.stopped) {
          this.#state = 'paused';
          this.#render();
          this.#say(`Paused in epoch ${run.epoch + 1} after ${fmtInt(run.doneInEpoch)} of ${fmtInt(run.count)} images. Resume carries on from these weights; "Use in the drawing pad" tries them.`);
          return;
        }
        run.epoch += 1;
        run.doneInEpoch = 0;
        run.order = null;
        if (run.test) {
          this.#say(`Epoch ${run.epoch} done; measuring accuracy on ${fmtInt(run.test.labels.length)} test images…`);
          const ev = await run.model.evaluate(run.test);
          run.testAccuracy = ev.accuracy;
          this.#acc.add(1, run.epoch, ev.accuracy);
        }
      }
      this.#state = 'done';
      this.#render();
      const secs = (performance.now() - t0) / 1000;
      this.#say(
        `Done: ${run.epoch} epoch${run.epoch === 1 ? '' : 's'} of ${fmtInt(run.count)} images in ${secs.toFixed(0)} s` +
          `${run.testAccuracy !== null ? `, test accuracy ${(run.testAccuracy * 100).toFixed(1)}%` : ''}. Use the weights in the drawing pad, or download them.`,
      );
    } catch (e) {
      this.#state = 'paused';
      this.#render();
      this.#say(`Training stopped: ${message(e)}`);
      console.error(e);
    } finally {
      this.#abort = null;
    }
  }

  #description(run: Run): string {
    const acc = run.testAccuracy !== null ? `, test accuracy ${(run.testAccuracy * 100).toFixed(1)}%` : '';
    const epochs = run.epoch + run.doneInEpoch / run.count;
    return `trained in this page (${epochs.toFixed(2)} epochs of ${fmtInt(run.count)} images${acc})`;
  }

  async #useInPad(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    await this.#pad.useWeights(run.name, run.model.getWeights(), this.#description(run));
    this.#say(`The drawing pad now uses these ${DIGIT_SPECS[run.name].name} weights.`);
  }

  #save(): void {
    const run = this.#run;
    if (!run) return;
    const bytes = run.model.saveWeights({ source: 'webcnn demo', trained: this.#description(run) });
    const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${run.name}-demo.safetensors`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
