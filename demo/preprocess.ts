/**
 * A drawing made into an MNIST digit, the way MNIST itself was made from NIST's scans
 * (LeCun, Cortes, Burges): crop to the ink, scale so the longer side is 20 pixels (aspect kept,
 * grey levels from the area each pixel covers), then place in a 28×28 field so that the centre
 * of mass of the ink sits at the centre. Pure functions on grey levels in [0, 1] (1 = ink).
 */

/** A grey-level image, row by row: `data[y * width + x]` in [0, 1]. */
export interface GreyImage {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

export const MNIST_SIDE = 28;
export const MNIST_BOX = 20;

/** Below this a pixel is not ink (anti-aliasing dust at stroke edges stays out of the crop). */
const INK_THRESHOLD = 0.05;

/** The smallest rectangle holding every ink pixel, or null when there is none. */
export function inkBounds(img: GreyImage): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x] > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * How much of source pixel `s` (the interval [s, s+1)) lies in each output pixel when
 * [from, from + n·step) is split into n pixels of `step` source pixels each.
 */
function coverage(from: number, step: number, n: number, sourceSize: number): { first: number; weights: Float32Array }[] {
  const out: { first: number; weights: Float32Array }[] = [];
  for (let o = 0; o < n; o++) {
    const a = from + o * step;
    const b = a + step;
    const first = Math.max(0, Math.floor(a));
    const last = Math.min(sourceSize - 1, Math.ceil(b) - 1);
    const weights = new Float32Array(Math.max(0, last - first + 1));
    for (let s = first; s <= last; s++) weights[s - first] = Math.max(0, Math.min(b, s + 1) - Math.max(a, s));
    out.push({ first, weights });
  }
  return out;
}

/** Area-averaging resample of a rectangle of `img` to `outW`×`outH` pixels (separable, exact coverage). */
export function resampleBox(img: GreyImage, box: { x0: number; y0: number; x1: number; y1: number }, outW: number, outH: number): GreyImage {
  const sx = (box.x1 - box.x0) / outW;
  const sy = (box.y1 - box.y0) / outH;
  const cx = coverage(box.x0, sx, outW, img.width);
  const cy = coverage(box.y0, sy, outH, img.height);
  const rows = new Float32Array(img.height * outW); // (H, outW): horizontal pass
  for (let y = box.y0; y < box.y1; y++) {
    for (let o = 0; o < outW; o++) {
      const { first, weights } = cx[o];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * img.data[y * img.width + first + k];
      rows[y * outW + o] = sum / sx;
    }
  }
  const data = new Float32Array(outW * outH); // (outH, outW): vertical pass
  for (let o = 0; o < outH; o++) {
    const { first, weights } = cy[o];
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * rows[(first + k) * outW + x];
      data[o * outW + x] = Math.min(1, sum / sy);
    }
  }
  return { data, width: outW, height: outH };
}

/** Centre of mass of the grey levels, in pixel units (pixel x covers [x, x+1)). */
export function centreOfMass(img: GreyImage): { x: number; y: number } {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.data[y * img.width + x];
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return m > 0 ? { x: mx / m, y: my / m } : { x: img.width / 2, y: img.height / 2 };
}

/**
 * The drawing as a 28×28 MNIST digit (values in [0, 1]), or null when nothing is drawn.
 * The digit's longer side becomes 20 pixels; its centre of mass lands on (14, 14), shifted by
 * whole pixels as MNIST's was.
 */
export function toMnist(img: GreyImage): Float32Array | null {
  const box = inkBounds(img);
  if (!box) return null;
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const scale = MNIST_BOX / Math.max(w, h);
  const small = resampleBox(img, box, Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale)));
  const com = centreOfMass(small);
  const dx = Math.round(MNIST_SIDE / 2 - com.x);
  const dy = Math.round(MNIST_SIDE / 2 - com.y);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < small.height; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= MNIST_SIDE) continue;
    for (let x = 0; x < small.width; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < MNIST_SIDE) out[ty * MNIST_SIDE + tx] = small.data[y * small.width + x];
    }
  }
  return out;
}
