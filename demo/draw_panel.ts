/**
 * The drawing pad's panel: classify the drawing as it changes, show the ten scores (bars and
 * text), the predicted digit, the inference time, and what the network sees (C1, S2, C3 maps
 * and C1's filters). One model per architecture, each with the shipped weights until the
 * trainer hands it new ones.
 */
import { WebGpuBackend, type Backend, type Model } from 'webcnn';
import { DrawingPad } from './pad.js';
import { toMnist, MNIST_SIDE } from './preprocess.js';
import { DIGIT_SPECS, argmax, classScores, fetchShippedWeights, makeDigitModel, modelInput, type DigitModelName } from './models.js';
import { showFilters, showInput, showMaps } from './features.js';
import { mnist } from './data.js';
import { byId, cpuBackendName, el, fmtMs, message } from './dom.js';

interface PadModel {
  model: Model;
  /** Where its weights came from, in words. */
  weights: string;
}

export class DrawPanel {
  readonly pad: DrawingPad;
  readonly #backend: Backend;
  readonly #models = new Map<DigitModelName, Promise<PadModel>>();
  #current: DigitModelName = 'lenet5';
  #busy = false;
  #dirty = false;
  readonly #select = byId('pad-model', HTMLSelectElement);
  readonly #prediction = byId('prediction');
  readonly #predictionText = byId('prediction-text');
  readonly #timing = byId('timing');
  readonly #scores = byId('scores');
  readonly #weights = byId('pad-weights');
  readonly #sampleNote = byId('sample-note');
  readonly #inputView = byId('input-view', HTMLCanvasElement);
  readonly #features = byId('feature-layers');
  readonly #filters = byId('filters');
  readonly #filtersCaption = byId('filters-caption');
  readonly #bars: { li: HTMLLIElement; bar: HTMLSpanElement; value: HTMLSpanElement }[] = [];

  constructor(backend: Backend) {
    this.#backend = backend;
    this.pad = new DrawingPad(byId('pad', HTMLCanvasElement));
    this.pad.onChange = () => this.request();
    this.pad.canvas.addEventListener('pointerdown', () => (this.#sampleNote.textContent = ''));
    byId('clear').addEventListener('click', () => {
      this.#sampleNote.textContent = '';
      this.pad.clear();
    });
    byId('sample').addEventListener('click', () => void this.#sample());
    this.#select.addEventListener('change', () => void this.select(this.#select.value as DigitModelName));
    for (let d = 0; d < 10; d++) {
      const li = el('li', 'score');
      const label = el('span', 'digit', String(d));
      const track = el('span', 'track');
      const bar = el('span', 'bar');
      track.append(bar);
      track.setAttribute('aria-hidden', 'true');
      const value = el('span', 'value', '–');
      li.append(label, track, value);
      this.#scores.append(li);
      this.#bars.push({ li, bar, value });
    }
  }

  get current(): DigitModelName {
    return this.#current;
  }

  /**
   * Loads the first model and shows its filters, then compiles its plan and kernels on a blank
   * input in the background, so the first stroke is answered without the compile wait
   * (seconds on a software adapter).
   */
  async start(options: { warmUp?: boolean } = {}): Promise<void> {
    await this.select(this.#current);
    if (options.warmUp ?? true) this.warm = this.#warmUp(this.#current);
  }

  /** Resolves when the first model's kernels are compiled (see start()). */
  warm: Promise<void> = Promise.resolve();

  async #warmUp(name: DigitModelName): Promise<void> {
    const { model } = await this.#entry(name);
    const x = modelInput(name, new Float32Array(MNIST_SIDE * MNIST_SIDE), 1);
    const idle = this.#predictionText.textContent;
    if (this.pad.empty) this.#predictionText.textContent = 'Preparing the network: compiling its kernels for your GPU (draw meanwhile)…';
    try {
      await model.predict(x);
      await model.activations(x, DIGIT_SPECS[name].featureLayers.map((f) => f.layer));
      if (this.pad.empty) this.#predictionText.textContent = idle;
    } catch (e) {
      this.#predictionText.textContent = `The model could not run: ${message(e)}`;
      console.error(e);
    }
  }

  #entry(name: DigitModelName): Promise<PadModel> {
    let p = this.#models.get(name);
    if (!p) {
      p = (async () => {
        const model = makeDigitModel(name, this.#backend);
        const shipped = await fetchShippedWeights(name);
        if (!shipped.bytes) return { model, weights: `No shipped weights (${shipped.reason}): random weights, so the guesses are noise. Train a model below and use it here.` };
        model.loadWeights(shipped.bytes, { label: `weights/${name}.safetensors` });
        return { model, weights: `Weights: shipped, weights/${name}.safetensors.` };
      })();
      this.#models.set(name, p);
    }
    return p;
  }

  async select(name: DigitModelName): Promise<void> {
    this.#current = name;
    this.#select.value = name;
    const entry = await this.#entry(name);
    if (this.#current !== name) return;
    this.#weights.textContent = `${DIGIT_SPECS[name].title}. ${entry.weights}`;
    this.#showFilters(entry.model);
    this.request();
  }

  /** Replaces a model's weights (e.g. freshly trained ones) and switches the pad to it. */
  async useWeights(name: DigitModelName, weights: Map<string, Float32Array>, description: string): Promise<void> {
    const entry = await this.#entry(name);
    entry.model.setWeights(weights);
    entry.weights = `Weights: ${description}.`;
    await this.select(name);
  }

  /** Asks for a new classification; calls made while one runs collapse into one more. */
  request(): void {
    this.#dirty = true;
    if (!this.#busy) void this.#loop();
  }

  async #loop(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#dirty) {
        this.#dirty = false;
        await this.#classify();
      }
    } catch (e) {
      this.#predictionText.textContent = `Could not classify: ${message(e)}`;
      console.error(e);
    } finally {
      this.#busy = false;
    }
  }

  async #classify(): Promise<void> {
    const name = this.#current;
    const digit = toMnist(this.pad.ink());
    if (!digit) {
      this.#prediction.textContent = '';
      this.#predictionText.textContent = 'Draw a digit to see what the network thinks.';
      this.#timing.textContent = '';
      for (const b of this.#bars) {
        b.bar.style.width = '0';
        b.value.textContent = '–';
        b.li.classList.remove('best');
        b.li.setAttribute('aria-label', `${this.#bars.indexOf(b)}: no score`);
      }
      this.#inputView.getContext('2d')!.clearRect(0, 0, MNIST_SIDE, MNIST_SIDE);
      this.#features.replaceChildren();
      return;
    }
    showInput(this.#inputView, digit, MNIST_SIDE);
    const { model } = await this.#entry(name);
    const x = modelInput(name, digit, 1);
    const t0 = performance.now();
    const out = await model.predict(x);
    const ms = performance.now() - t0;
    if (name !== this.#current) return;
    const scores = classScores(name, out);
    const best = argmax(scores);
    this.#prediction.textContent = String(best);
    this.#predictionText.textContent = `The network reads a ${best}, with ${(scores[best] * 100).toFixed(1)}% of the score.`;
    scores.forEach((s, d) => {
      const b = this.#bars[d];
      const pct = `${(s * 100).toFixed(1)}%`;
      b.bar.style.width = `${Math.max(0, Math.min(100, s * 100))}%`;
      b.value.textContent = name === 'lenet5' ? `${pct} (d ${out[d].toFixed(1)})` : pct;
      b.li.classList.toggle('best', d === best);
      b.li.setAttribute('aria-label', `${d}: ${pct}${name === 'lenet5' ? `, RBF distance ${out[d].toFixed(1)}` : ''}`);
    });
    const where = this.#backend instanceof WebGpuBackend ? 'on the GPU, one submit' : `on ${cpuBackendName(this.#backend)}`;
    this.#timing.textContent = `Inference: ${fmtMs(ms)} ${where}.`;
    await this.#showFeatures(model, name, x);
  }

  async #showFeatures(model: Model, name: DigitModelName, x: Float32Array): Promise<void> {
    const spec = DIGIT_SPECS[name];
    const acts = await model.activations(x, spec.featureLayers.map((f) => f.layer));
    if (name !== this.#current) return;
    if (this.#features.children.length !== spec.featureLayers.length || this.#features.dataset.model !== name) {
      this.#features.replaceChildren(
        ...spec.featureLayers.map((f) => {
          const fig = el('figure', 'layer');
          const cap = el('figcaption', '', f.label);
          const note = el('span', 'hint');
          const maps = el('div', 'maps');
          maps.dataset.layer = f.layer;
          cap.append(' ', note);
          fig.append(cap, maps);
          return fig;
        }),
      );
      this.#features.dataset.model = name;
    }
    spec.featureLayers.forEach((f, i) => {
      const fig = this.#features.children[i];
      const a = acts.get(f.layer)!;
      const note = fig.querySelector('.hint')!;
      note.textContent = `(${showMaps(fig.querySelector('.maps') as HTMLElement, a.shape, a.data, f.label.split(':')[0])})`;
    });
  }

  #showFilters(model: Model): void {
    const key = DIGIT_SPECS[this.#current].filterKey;
    const w = model.getWeights().get(key)!;
    const shape = model.parameterShapes().get(key)!;
    this.#filtersCaption.textContent = `${key}: ${showFilters(this.#filters, shape, w)}`;
  }

  async #sample(): Promise<void> {
    try {
      this.#predictionText.textContent = 'Loading MNIST test digits…';
      const test = await mnist('test', 1000);
      const i = Math.floor(Math.random() * test.count);
      this.pad.showDigit(test.images.subarray(i * 784, (i + 1) * 784));
      this.#sampleNote.textContent = `On the pad: MNIST test digit #${i}, labelled ${test.labels[i]}.`;
    } catch (e) {
      this.#predictionText.textContent = `Could not load MNIST: ${message(e)}`;
    }
  }
}
