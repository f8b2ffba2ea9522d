/**
 * A small SVG line chart for the live training plots: a few series of (x, y) points, linear
 * axes with round ticks, redrawn at most once per animation frame. Plain SVG rather than a
 * chart library: two plots of a few hundred points need about a hundred lines, scale with the
 * layout for free, and stay in the DOM where tests and screen readers can read them (the
 * chart's <title> states the latest values in words).
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 420;
const H = 200;
const M = { left: 44, right: 10, top: 10, bottom: 30 };

export interface SeriesSpec {
  readonly name: string;
  readonly colour: string;
  /** Draw points as dots too (sparse series such as per-epoch test accuracy). */
  readonly dots?: boolean;
  /** Format of the value in the text summary. */
  readonly format?: (y: number) => string;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly series: readonly SeriesSpec[];
  /** Fixed y range (e.g. 0..1 for accuracy); otherwise 0 to the data's maximum. */
  readonly yRange?: readonly [number, number];
  /** Fixed x range; otherwise 0 to the data's maximum. */
  readonly xMax?: number;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export class LineChart {
  readonly element: SVGSVGElement;
  readonly #options: ChartOptions;
  readonly #points: [number, number][][];
  #frame = 0;

  constructor(element: SVGSVGElement, options: ChartOptions) {
    this.element = element;
    this.#options = options;
    this.#points = options.series.map(() => []);
    element.setAttribute('viewBox', `0 0 ${W} ${H}`);
    element.setAttribute('role', 'img');
    this.render();
  }

  /** Number of points in every series (also the `data-points` attribute). */
  get size(): number {
    return this.#points.reduce((a, p) => a + p.length, 0);
  }

  add(series: number, x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    this.#points[series].push([x, y]);
    this.#schedule();
  }

  clear(): void {
    for (const p of this.#points) p.length = 0;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.render();
    });
  }

  render(): void {
    const o = this.#options;
    const all = this.#points.flat();
    const xMax = o.xMax ?? Math.max(1, ...all.map((p) => p[0]));
    const [yLo, yHi] = o.yRange ?? (all.length ? [0, Math.max(1e-6, ...all.map((p) => p[1])) * 1.05] : [0, 1]);
    const px = (x: number) => M.left + (x / xMax) * (W - M.left - M.right);
    const py = (y: number) => H - M.bottom - ((y - yLo) / (yHi - yLo || 1)) * (H - M.top - M.bottom);
    const e = this.element;
    e.replaceChildren();

    const latest = o.series
      .map((s, i) => {
        const p = this.#points[i];
        if (p.length === 0) return null;
        const y = p[p.length - 1][1];
        return `${s.name} ${(s.format ?? ((v: number) => v.toFixed(3)))(y)}`;
      })
      .filter((s) => s !== null);
    e.append(svg('title', {}, `${o.title}: ${latest.length ? `latest ${latest.join(', ')}` : 'no data yet'}`));

    const axis = svg('g', { class: 'axis' });
    for (const t of ticks(yLo, yHi)) {
      axis.append(svg('line', { x1: M.left, x2: W - M.right, y1: py(t), y2: py(t), class: 'grid' }));
      axis.append(svg('text', { x: M.left - 6, y: py(t) + 4, 'text-anchor': 'end' }, t >= 100 ? t.toFixed(0) : String(Number(t.toPrecision(3)))));
    }
    for (const t of ticks(0, xMax, 5)) {
      axis.append(svg('text', { x: px(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, String(Number(t.toPrecision(3)))));
    }
    axis.append(svg('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'base' }));
    axis.append(svg('text', { x: (M.left + W - M.right) / 2, y: H - 2, 'text-anchor': 'middle', class: 'label' }, o.xLabel));
    e.append(axis);

    o.series.forEach((s, i) => {
      const pts = this.#points[i];
      if (pts.length === 0) return;
      const g = svg('g', { class: 'series', 'data-series': s.name });
      g.append(svg('polyline', { points: pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' '), fill: 'none', stroke: s.colour, 'stroke-width': 1.5 }));
      if (s.dots) for (const [x, y] of pts) g.append(svg('circle', { cx: px(x), cy: py(y), r: 3, fill: s.colour }));
      e.append(g);
    });
    // Legend, top right.
    o.series.forEach((s, i) => {
      const y = M.top + 12 + i * 14;
      e.append(svg('rect', { x: W - M.right - 120, y: y - 8, width: 10, height: 3, fill: s.colour }));
      e.append(svg('text', { x: W - M.right - 105, y, class: 'legend' }, s.name));
    });
    e.dataset.points = String(this.size);
  }
}
