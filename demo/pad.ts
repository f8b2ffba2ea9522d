/**
 * The drawing pad: pointer events (mouse, touch and pen alike) draw round-capped strokes on a
 * canvas of fixed internal size; the ink is read back as grey levels from the alpha channel.
 */
import type { GreyImage } from './preprocess.js';

/** Internal canvas resolution; CSS scales it to the layout. */
export const PAD_SIZE = 280;
/** Pen width in internal pixels: about a tenth of a digit drawn across most of the pad, like MNIST's strokes. */
const PEN_WIDTH = 22;

export class DrawingPad {
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #last: { x: number; y: number } | null = null;
  #pointer: number | null = null;
  #empty = true;
  /** Called after every change of the ink (while drawing, and on clear). */
  onChange: () => void = () => undefined;
  /** Called when a stroke ends. */
  onStrokeEnd: () => void = () => undefined;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    canvas.width = PAD_SIZE;
    canvas.height = PAD_SIZE;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('the drawing pad needs a 2D canvas context');
    this.#ctx = ctx;
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', (e) => this.#up(e));
    canvas.addEventListener('pointercancel', (e) => this.#up(e));
    canvas.addEventListener('lostpointercapture', (e) => this.#up(e));
  }

  get empty(): boolean {
    return this.#empty;
  }

  clear(): void {
    this.#ctx.clearRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.#empty = true;
    this.onChange();
  }

  /** The ink as grey levels in [0, 1], PAD_SIZE × PAD_SIZE. */
  ink(): GreyImage {
    const { data } = this.#ctx.getImageData(0, 0, PAD_SIZE, PAD_SIZE);
    const out = new Float32Array(PAD_SIZE * PAD_SIZE);
    for (let i = 0; i < out.length; i++) out[i] = data[i * 4 + 3] / 255;
    return { data: out, width: PAD_SIZE, height: PAD_SIZE };
  }

  /** Shows a 28×28 digit (values in [0, 1]) as ink, scaled up to fill the pad's middle. */
  showDigit(digit: Float32Array, side = 28): void {
    const small = document.createElement('canvas');
    small.width = side;
    small.height = side;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      img.data[i * 4] = img.data[i * 4 + 1] = img.data[i * 4 + 2] = 17;
      img.data[i * 4 + 3] = Math.round(Math.min(1, Math.max(0, digit[i])) * 255);
    }
    sctx.putImageData(img, 0, 0);
    this.#ctx.clearRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.#ctx.imageSmoothingEnabled = true;
    this.#ctx.drawImage(small, 0, 0, PAD_SIZE, PAD_SIZE);
    this.#empty = false;
    this.onChange();
    this.onStrokeEnd();
  }

  #point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * PAD_SIZE, y: ((e.clientY - r.top) / r.height) * PAD_SIZE };
  }

  #down(e: PointerEvent): void {
    if (this.#pointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.#pointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.#point(e);
    this.#last = p;
    this.#segment(p, p);
  }

  #move(e: PointerEvent): void {
    if (e.pointerId !== this.#pointer || !this.#last) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser batches pointer moves.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) {
      const p = this.#point(ev);
      this.#segment(this.#last, p);
      this.#last = p;
    }
  }

  #up(e: PointerEvent): void {
    if (e.pointerId !== this.#pointer) return;
    this.#pointer = null;
    this.#last = null;
    this.onStrokeEnd();
  }

  #segment(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.#ctx;
    ctx.strokeStyle = '#111';
    ctx.lineWidth = PEN_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    this.#empty = false;
    this.onChange();
  }
}
