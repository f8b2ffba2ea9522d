/**
 * The wasm backend's memory: one WebAssembly.Memory (shared when threads run) that the kernels
 * address directly, and an allocator over it. Blocks are rounded up to size classes (four per
 * power of two, so at most 25% slack) and kept on free lists by class when released, so a
 * model run again allocates nothing new: its tensors reuse the blocks of the previous run.
 * Every block has 64 bytes of slack after it, so kernels may read a few values past a row's end.
 * The first 64 KiB are never handed out (address 0 means "none" to the kernels).
 */
import { LimitExceededError } from '../../errors.js';

const PAGE = 65536;
const ALIGN = 64;
const SLACK = 64;
/** 4 GiB: wasm32's whole address space. */
const MAX_PAGES = 65536;

/** A region of the arena; freed when its last user releases it. */
export class Block {
  #refs = 1;
  constructor(
    readonly arena: Arena,
    readonly ptr: number,
    readonly bytes: number,
    readonly sizeClass: number,
  ) {}

  retain(): this {
    this.#refs++;
    return this;
  }

  release(): void {
    if (--this.#refs === 0) this.arena.free(this);
  }

  /** Float32 view of the block's first `length` values (valid until the memory grows, when not shared). */
  f32(length = this.bytes >> 2): Float32Array {
    return new Float32Array(this.arena.memory.buffer, this.ptr, length);
  }
}

/** The smallest size class of at least `bytes`: 4 classes per power of two. */
function sizeClassOf(bytes: number): number {
  const n = Math.max(bytes, ALIGN);
  const pow = 2 ** Math.floor(Math.log2(n));
  const step = pow / 4;
  const rounded = Math.ceil(n / step) * step;
  return Math.ceil(rounded / ALIGN) * ALIGN;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  #top: number;
  readonly #free = new Map<number, number[]>();
  /** Bytes in blocks handed out and not freed. */
  liveBytes = 0;
  /** How many times the memory grew: a view of an unshared memory made before a growth is detached. */
  grows = 0;

  constructor(readonly shared: boolean) {
    this.memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared });
    this.#top = PAGE;
  }

  /** Bytes of linear memory in use by the allocator (its high-water mark). */
  get reservedBytes(): number {
    return this.#top;
  }

  /** A block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number, what = 'a tensor'): Block {
    const sizeClass = sizeClassOf(bytes);
    const list = this.#free.get(sizeClass);
    let ptr = list?.pop();
    if (ptr === undefined) {
      const need = sizeClass + SLACK;
      if (this.#top + need > MAX_PAGES * PAGE) {
        throw new LimitExceededError(`wasm: ${what} of ${bytes} bytes does not fit in WebAssembly's 4 GiB memory (${this.#top} bytes in use)`);
      }
      ptr = this.#top;
      this.#top += need;
      const pages = Math.ceil(this.#top / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (pages > 0) {
        this.memory.grow(pages);
        this.grows++;
      }
    }
    this.liveBytes += sizeClass;
    return new Block(this, ptr, bytes, sizeClass);
  }

  /** A block holding zeros. */
  zeros(bytes: number, what?: string): Block {
    const b = this.alloc(bytes, what);
    new Uint8Array(this.memory.buffer, b.ptr, bytes).fill(0);
    return b;
  }

  free(b: Block): void {
    this.liveBytes -= b.sizeClass;
    let list = this.#free.get(b.sizeClass);
    if (!list) this.#free.set(b.sizeClass, (list = []));
    list.push(b.ptr);
  }
}
