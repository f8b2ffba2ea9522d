/**
 * What `Model.predict()` accepts, turned into the NCHW `Float32Array` the model runs on:
 * a `Float32Array` (N samples back to back), a `Tensor`, or images — `ImageData` (or any
 * `{ width, height, data }` of RGBA bytes), a canvas, `OffscreenCanvas`, `ImageBitmap`,
 * `<img>` or `<video>` — one or an array of them (a batch).
 *
 * An image becomes one sample of shape (C, H, W) in these steps, each one an option of
 * `ImageInputOptions`:
 *  1. its pixels are read (a canvas through its 2D context, other sources drawn on an
 *     `OffscreenCanvas` first) and resampled to (H − 2·padding) × (W − 2·padding) with an
 *     area (box) filter, so a 280×280 drawing becomes a clean 28×28;
 *  2. transparent pixels are composited over the background (black, or white with `invert`);
 *  3. C = 1 takes the luminance (0.299 R + 0.587 G + 0.114 B), C = 3 the R, G, B planes;
 *  4. `invert` maps v → 1 − v (dark ink on light paper → MNIST's light ink on black);
 *  5. values in [0, 1] are mapped to `range` (default [0, 1]), or normalized with `mean`/`std`;
 *  6. `padding` pixels of background (the mapped value of 0) surround the image.
 * The defaults of a zoo model match how it was trained (LeNet-5: 28×28 digits in a 32×32
 * field, [−0.1, 1.175], as in the 1998 paper and `padTo32(…, { lecunNormalize: true })`).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { LECUN_BACKGROUND, LECUN_FOREGROUND } from '../data/mnist.js';

/** Pixels as `ImageData` holds them: `width × height` RGBA bytes, row by row. */
export interface PixelData {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** An image `predict()` can read. */
export type ImageInput = PixelData | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | HTMLImageElement | HTMLVideoElement;

/** Everything `predict()` accepts: values, a tensor, an image, or a batch of images. */
export type ModelInput = Float32Array | Tensor | ImageInput | readonly ImageInput[];

/** How an image becomes model input; see the module comment for the order of the steps. */
export interface ImageInputOptions {
  /** Map v → 1 − v, and composite transparent pixels over white instead of black. Default false. */
  invert?: boolean;
  /** [value for black, value for white] (default [0, 1]). Ignored when `mean`/`std` are given. */
  range?: readonly [number, number];
  /** Per-channel (or one for all) mean subtracted from values in [0, 1], e.g. ImageNet's. */
  mean?: number | readonly number[];
  /** Per-channel (or one for all) divisor after `mean` (default 1). */
  std?: number | readonly number[];
  /** Background pixels around the resampled image on every side (default 0). */
  padding?: number;
}

/** LeNet-5's input: a 28×28 digit centred in 32×32, background −0.1 and ink 1.175 (LeCun et al. 1998). */
export const LENET5_IMAGE_INPUT: Readonly<ImageInputOptions> = Object.freeze({ padding: 2, range: [LECUN_BACKGROUND, LECUN_FOREGROUND] as const });

const OP = 'predict';

function isPixelData(x: unknown): x is PixelData {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Partial<PixelData>;
  return typeof p.width === 'number' && typeof p.height === 'number' && (p.data instanceof Uint8ClampedArray || p.data instanceof Uint8Array);
}

function isImageInput(x: unknown): x is ImageInput {
  if (isPixelData(x)) return true;
  const has = (name: string) => typeof globalThis !== 'undefined' && typeof (globalThis as Record<string, unknown>)[name] === 'function';
  const is = (name: string) => has(name) && x instanceof ((globalThis as Record<string, unknown>)[name] as abstract new () => unknown);
  return ['HTMLCanvasElement', 'OffscreenCanvas', 'ImageBitmap', 'HTMLImageElement', 'HTMLVideoElement'].some(is);
}

type Ctx2d = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** The size a drawable reports (an `<img>`'s natural size, a video's frame size). */
function sourceSize(image: Exclude<ImageInput, PixelData>): { width: number; height: number } {
  if ('naturalWidth' in image) return { width: image.naturalWidth, height: image.naturalHeight };
  if ('videoWidth' in image) return { width: image.videoWidth, height: image.videoHeight };
  return { width: image.width, height: image.height };
}

/** The RGBA pixels of any image input, at its own size. */
export function readPixels(image: ImageInput, label = OP): PixelData {
  if (isPixelData(image)) {
    if (!(Number.isInteger(image.width) && Number.isInteger(image.height) && image.width > 0 && image.height > 0)) {
      throw new InvalidArgumentError(label, `image size must be positive whole numbers, got ${image.width}×${image.height}`);
    }
    if (image.data.length !== image.width * image.height * 4) {
      throw new ShapeError(label, `image data has ${image.data.length} bytes, expected ${image.width}×${image.height}×4 RGBA = ${image.width * image.height * 4}`);
    }
    return image;
  }
  const { width, height } = sourceSize(image);
  if (!(width > 0 && height > 0)) throw new InvalidArgumentError(label, `image has no pixels yet (${width}×${height}): wait for it to load`);
  // A canvas with a 2D context is read directly; anything else (a WebGL/WebGPU canvas, a
  // bitmap, an image, a video frame) is drawn on a 2D canvas first.
  let ctx: Ctx2d | null = null;
  if ('getContext' in image && !(typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap)) {
    try {
      ctx = (image as HTMLCanvasElement).getContext('2d');
    } catch {
      ctx = null;
    }
  }
  if (!ctx) {
    let canvas: OffscreenCanvas | HTMLCanvasElement;
    if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(width, height);
    else if (typeof document !== 'undefined') canvas = Object.assign(document.createElement('canvas'), { width, height });
    else throw new InvalidArgumentError(label, 'reading this image needs a 2D canvas (OffscreenCanvas or document), which this runtime lacks: pass ImageData or a Float32Array');
    ctx = canvas.getContext('2d') as Ctx2d | null;
    if (!ctx) throw new InvalidArgumentError(label, 'could not get a 2D canvas context to read the image');
    ctx.drawImage(image, 0, 0, width, height);
  }
  return ctx.getImageData(0, 0, width, height);
}

function perChannel(v: number | readonly number[] | undefined, channels: number, fallback: number, what: string): number[] {
  if (v === undefined) return new Array<number>(channels).fill(fallback);
  if (typeof v === 'number') return new Array<number>(channels).fill(v);
  if (v.length !== channels) throw new InvalidArgumentError(OP, `${what} has ${v.length} values, the model input has ${channels} channels`);
  return [...v];
}

/** The affine map of each channel: value = a[c]·v + b[c], for v in [0, 1]. */
function channelMaps(options: ImageInputOptions, channels: number): { a: number[]; b: number[] } {
  if (options.mean !== undefined || options.std !== undefined) {
    const mean = perChannel(options.mean, channels, 0, 'mean');
    const std = perChannel(options.std, channels, 1, 'std');
    if (std.some((s) => !(s !== 0 && Number.isFinite(s)))) throw new InvalidArgumentError(OP, `std must be finite and non-zero, got [${std.join(', ')}]`);
    return { a: std.map((s) => 1 / s), b: mean.map((m, c) => -m / std[c]) };
  }
  const [lo, hi] = options.range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new InvalidArgumentError(OP, `range must be two finite numbers, got [${lo}, ${hi}]`);
  return { a: new Array<number>(channels).fill(hi - lo), b: new Array<number>(channels).fill(lo) };
}

/**
 * Converts one image to a (C, H, W) sample (`sampleShape`) in `out` at `offset`: see the
 * module comment for the steps.
 */
export function imageToSample(image: ImageInput, sampleShape: Shape, options: ImageInputOptions = {}, out?: Float32Array, offset = 0): Float32Array {
  if (sampleShape.length !== 3) {
    throw new ShapeError(OP, `an image can only feed a (C, H, W) input; this model's input is ${fmtShape(sampleShape)}: pass a Float32Array`);
  }
  const [channels, height, width] = sampleShape;
  if (channels !== 1 && channels !== 3) {
    throw new ShapeError(OP, `an image gives 1 (grey) or 3 (RGB) channels; this model's input has ${channels} (input ${fmtShape(sampleShape)}): pass a Float32Array`);
  }
  const padding = options.padding ?? 0;
  const innerH = height - 2 * padding;
  const innerW = width - 2 * padding;
  if (!Number.isInteger(padding) || padding < 0 || innerH < 1 || innerW < 1) {
    throw new InvalidArgumentError(OP, `padding must be a whole number ≥ 0 leaving room for the image in ${height}×${width}, got ${padding}`);
  }
  const px = readPixels(image);
  const { a, b } = channelMaps(options, channels);
  const invert = options.invert ?? false;
  const target = out ?? new Float32Array(sizeOf(sampleShape));
  const plane = height * width;
  for (let c = 0; c < channels; c++) target.fill(b[c], offset + c * plane, offset + (c + 1) * plane);

  // Area resampling: output pixel (y, x) averages the source rectangle it covers, weighting
  // the partly covered edge pixels by their overlap.
  const sy = px.height / innerH;
  const sx = px.width / innerW;
  const background = invert ? 255 : 0;
  const acc = [0, 0, 0];
  for (let y = 0; y < innerH; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < innerW; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      acc[0] = acc[1] = acc[2] = 0;
      let area = 0;
      for (let iy = Math.floor(y0); iy < Math.min(Math.ceil(y1), px.height); iy++) {
        const wy = Math.min(iy + 1, y1) - Math.max(iy, y0);
        for (let ix = Math.floor(x0); ix < Math.min(Math.ceil(x1), px.width); ix++) {
          const w = wy * (Math.min(ix + 1, x1) - Math.max(ix, x0));
          const i = (iy * px.width + ix) * 4;
          const alpha = px.data[i + 3] / 255;
          for (let k = 0; k < 3; k++) acc[k] += w * (px.data[i + k] * alpha + background * (1 - alpha));
          area += w;
        }
      }
      const rgb = acc.map((s) => s / area / 255);
      const at = (padding + y) * width + padding + x;
      if (channels === 1) {
        const v = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        target[offset + at] = a[0] * (invert ? 1 - v : v) + b[0];
      } else {
        for (let c = 0; c < 3; c++) target[offset + c * plane + at] = a[c] * (invert ? 1 - rgb[c] : rgb[c]) + b[c];
      }
    }
  }
  return target;
}

/**
 * Turns any `ModelInput` into N samples of `sampleShape` back to back. `batch` checks (or,
 * for a `Float32Array`, sets) the number of samples.
 */
export async function toModelInput(input: ModelInput, sampleShape: Shape, options: { batch?: number; image?: ImageInputOptions; model?: string } = {}): Promise<{ data: Float32Array; batch: number }> {
  const label = options.model ? `model '${options.model}'` : OP;
  const per = sizeOf(sampleShape);
  if (input instanceof Float32Array) {
    const batch = options.batch ?? (per > 0 ? input.length / per : 1);
    return { data: input, batch };
  }
  if (input instanceof Tensor) {
    const s = input.shape;
    if (s.length !== sampleShape.length + 1 || sampleShape.some((d, i) => s[i + 1] !== d)) {
      throw new ShapeError(label, `input tensor must have shape [N,${sampleShape.join(',')}], got ${fmtShape(s)}`);
    }
    if (options.batch !== undefined && options.batch !== s[0]) throw new ShapeError(label, `batch ${options.batch} given for a tensor of shape ${fmtShape(s)}`);
    return { data: await input.read(), batch: s[0] };
  }
  const images: readonly unknown[] = Array.isArray(input) ? input : [input];
  if (images.length === 0) throw new ShapeError(label, 'got an empty array of images');
  images.forEach((im, i) => {
    if (!isImageInput(im)) {
      const what = im === null ? 'null' : typeof im === 'object' ? (im.constructor?.name ?? 'object') : typeof im;
      throw new InvalidArgumentError(label, `input${Array.isArray(input) ? ` ${i}` : ''} must be a Float32Array, a Tensor, ImageData (or { width, height, data }), a canvas, an ImageBitmap, an <img> or a <video>; got ${what}`);
    }
  });
  if (options.batch !== undefined && options.batch !== images.length) throw new ShapeError(label, `batch ${options.batch} given with ${images.length} image(s)`);
  const data = new Float32Array(per * images.length);
  images.forEach((im, i) => imageToSample(im as ImageInput, sampleShape, options.image, data, i * per));
  return { data, batch: images.length };
}
