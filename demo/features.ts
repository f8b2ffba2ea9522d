/**
 * Feature maps and filters as small images. A layer's maps share one grey scale (its minimum
 * to its maximum, dark = strong) so maps of one layer compare; filters use a diverging scale
 * around zero (orange positive, blue negative) since their sign is the point.
 */

/** Paints a (h, w) plane into a canvas, `colour` mapping each value to RGB. */
function paint(canvas: HTMLCanvasElement, plane: Float32Array, w: number, h: number, colour: (v: number) => [number, number, number]): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colour(plane[i]);
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function range(v: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Makes or reuses `count` canvases in `container`, each labelled for screen readers. */
function canvases(container: HTMLElement, count: number, label: (i: number) => string): HTMLCanvasElement[] {
  while (container.children.length > count) container.lastElementChild!.remove();
  while (container.children.length < count) {
    const c = document.createElement('canvas');
    c.className = 'map';
    c.setAttribute('role', 'img');
    container.append(c);
  }
  const list = [...container.children] as HTMLCanvasElement[];
  list.forEach((c, i) => c.setAttribute('aria-label', label(i)));
  return list;
}

/**
 * Shows the first sample of a (N, C, H, W) activation as C images on one grey scale. Returns
 * a one-line text description (value range) for the section's caption.
 */
export function showMaps(container: HTMLElement, shape: readonly number[], data: Float32Array, name: string): string {
  const [, c, h, w] = shape;
  const [lo, hi] = range(data.subarray(0, c * h * w));
  const span = hi - lo || 1;
  const list = canvases(container, c, (i) => `${name} map ${i + 1} of ${c}`);
  for (let i = 0; i < c; i++) {
    paint(list[i], data.subarray(i * h * w, (i + 1) * h * w), w, h, (v) => {
      const g = Math.round(255 - ((v - lo) / span) * 235);
      return [g, g, g];
    });
  }
  return `${c} maps of ${h}×${w}, values ${lo.toFixed(2)} to ${hi.toFixed(2)}`;
}

/** Shows (Cout, 1, kH, kW) filters on a diverging scale around 0. */
export function showFilters(container: HTMLElement, shape: readonly number[], data: Float32Array): string {
  const [cout, , kh, kw] = shape;
  const [lo, hi] = range(data);
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const list = canvases(container, cout, (i) => `C1 filter ${i + 1} of ${cout}`);
  for (let i = 0; i < cout; i++) {
    paint(list[i], data.subarray(i * kh * kw, (i + 1) * kh * kw), kw, kh, (v) => {
      const t = Math.min(1, Math.abs(v) / m);
      // white → orange (positive) or white → blue (negative)
      return v >= 0 ? [255 - t * 25, 255 - t * 135, 255 - t * 235] : [255 - t * 225, 255 - t * 135, 255 - t * 25];
    });
  }
  return `${cout} filters of ${kh}×${kw}, weights ${lo.toFixed(2)} to ${hi.toFixed(2)}`;
}

/** Shows one (h, w) input image (e.g. the 28×28 digit the network reads), dark = ink. */
export function showInput(canvas: HTMLCanvasElement, data: Float32Array, side: number): void {
  const [lo, hi] = range(data);
  const span = hi - lo || 1;
  paint(canvas, data, side, side, (v) => {
    const g = Math.round(255 - ((v - lo) / span) * 238);
    return [g, g, g];
  });
}
