/**
 * The two digit models of the demo and what differs between them: the input (LeNet-5 reads a
 * 32×32 field in LeCun's normalization, LeNet the 28×28 digit), how outputs become class
 * scores (RBF distances vs logits), and which layers are C1, S2 and C3.
 */
import { createModel, type Backend, type Model } from 'webcnn';
import { padTo32 } from 'webcnn/train';

export type DigitModelName = 'lenet5' | 'lenet';

export const DIGIT_MODELS: readonly DigitModelName[] = ['lenet5', 'lenet'];

export interface DigitModelSpec {
  readonly name: DigitModelName;
  readonly title: string;
  /** The layers shown as C1, S2 and C3 (after their activations). */
  readonly featureLayers: readonly { readonly layer: string; readonly label: string }[];
  /** C1's weights, (6, 1, 5, 5). */
  readonly filterKey: string;
}

export const DIGIT_SPECS: Readonly<Record<DigitModelName, DigitModelSpec>> = {
  lenet5: {
    name: 'lenet5',
    title: 'LeNet-5 (1998: scaled tanh, trainable subsampling, RBF outputs)',
    featureLayers: [
      { layer: 'c1', label: 'C1: 6 convolution maps, 28×28' },
      { layer: 's2', label: 'S2: 6 subsampled maps, 14×14' },
      { layer: 'c3', label: 'C3: 16 convolution maps, 10×10' },
    ],
    filterKey: 'c1.weight',
  },
  lenet: {
    name: 'lenet',
    title: 'LeNet (modern: ReLU, max pooling, softmax outputs)',
    featureLayers: [
      { layer: 'act1', label: 'C1: 6 convolution maps (ReLU), 28×28' },
      { layer: 'pool1', label: 'S2: 6 max-pooled maps, 14×14' },
      { layer: 'act2', label: 'C3: 16 convolution maps (ReLU), 10×10' },
    ],
    filterKey: 'conv1.weight',
  },
};

/** Training and inference input for `count` 28×28 digits in [0, 1]: padded and normalized for LeNet-5. */
export function modelInput(name: DigitModelName, digits: Float32Array, count: number): Float32Array {
  return name === 'lenet5' ? padTo32(digits, count, { lecunNormalize: true }) : digits;
}

/**
 * Class scores that sum to 1 from one sample's outputs. LeNet's are logits (softmax). LeNet-5's
 * are squared distances to each digit's RBF centre, smaller = more likely; read as penalties
 * in the paper's probabilistic view, e^−d normalized.
 */
export function classScores(name: DigitModelName, out: Float32Array): Float32Array {
  const z = name === 'lenet5' ? out.map((d) => -d) : out.slice();
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export function makeDigitModel(name: DigitModelName, backend: Backend, seed = 0): Model {
  return createModel(name, { backend, seed });
}

export const weightsUrl = (name: DigitModelName): string => `/weights/${name}.safetensors`;

/**
 * The shipped weights, `weights/<name>.safetensors` served by the dev server. Resolves to the
 * bytes, or to null with the reason when they are not there (a fresh clone before the weights
 * are trained): the demo then runs on seeded random weights and says so.
 */
export async function fetchShippedWeights(name: DigitModelName): Promise<{ bytes: Uint8Array } | { bytes: null; reason: string }> {
  let res: Response;
  try {
    // The dev server lists /weights/; asking only for a listed file keeps a missing one out of the console.
    const list = await fetch('/weights/');
    const type = list.headers.get('Content-Type') ?? '';
    if (list.ok && type.startsWith('application/json')) {
      const files = (await list.json()) as unknown;
      if (Array.isArray(files) && !files.includes(`${name}.safetensors`)) return { bytes: null, reason: `no file weights/${name}.safetensors` };
    }
    res = await fetch(weightsUrl(name));
  } catch (e) {
    return { bytes: null, reason: `could not fetch ${weightsUrl(name)}: ${String(e)}` };
  }
  if (!res.ok) return { bytes: null, reason: `no file weights/${name}.safetensors (HTTP ${res.status})` };
  return { bytes: new Uint8Array(await res.arrayBuffer()) };
}
