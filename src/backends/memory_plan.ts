/**
 * Static memory planning (after tinygrad's memory planner): each tensor of a recorded plan
 * has a lifetime [first, last] in dispatch order; tensors whose lifetimes do not overlap share
 * one GPU buffer. Greedy in order of first use: a tensor takes the smallest free buffer that
 * fits, else grows the largest free one, else gets a new one. Buffers are created only after
 * planning, so growing is free.
 */

export interface Lifetime {
  /** Bytes needed. */
  readonly bytes: number;
  /** Index of the first dispatch that touches it (-1: written before the pass, e.g. an input). */
  readonly first: number;
  /** Index of the last dispatch that touches it (Infinity: read after the pass, e.g. an output). */
  readonly last: number;
}

export interface MemoryPlan {
  /** Buffer index of each lifetime, in input order. */
  readonly assignment: readonly number[];
  /** Size in bytes of each buffer. */
  readonly bufferBytes: readonly number[];
  /** Sum of the buffers: what the plan allocates. */
  readonly peakBytes: number;
  /** Sum of the lifetimes: what one buffer per tensor would allocate. */
  readonly naiveBytes: number;
}

/** Two lifetimes overlap when some dispatch touches both (a dispatch reads its inputs while writing its output). */
export function lifetimesOverlap(a: Lifetime, b: Lifetime): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function planMemory(lifetimes: readonly Lifetime[], reuse = true): MemoryPlan {
  const naiveBytes = lifetimes.reduce((s, l) => s + l.bytes, 0);
  if (!reuse) {
    return { assignment: lifetimes.map((_, i) => i), bufferBytes: lifetimes.map((l) => l.bytes), peakBytes: naiveBytes, naiveBytes };
  }
  const order = lifetimes.map((_, i) => i).sort((a, b) => lifetimes[a].first - lifetimes[b].first || lifetimes[b].bytes - lifetimes[a].bytes);
  const assignment = new Array<number>(lifetimes.length).fill(-1);
  const bufferBytes: number[] = [];
  /** Last dispatch index using each buffer so far. */
  const busyUntil: number[] = [];
  for (const i of order) {
    const { bytes, first, last } = lifetimes[i];
    let best = -1;
    let largestFree = -1;
    for (let b = 0; b < bufferBytes.length; b++) {
      if (busyUntil[b] >= first) continue;
      if (bufferBytes[b] >= bytes && (best < 0 || bufferBytes[b] < bufferBytes[best])) best = b;
      if (largestFree < 0 || bufferBytes[b] > bufferBytes[largestFree]) largestFree = b;
    }
    if (best < 0 && largestFree >= 0) {
      best = largestFree;
      bufferBytes[best] = bytes;
    }
    if (best < 0) {
      best = bufferBytes.length;
      bufferBytes.push(bytes);
      busyUntil.push(last);
    }
    busyUntil[best] = last;
    assignment[i] = best;
  }
  return { assignment, bufferBytes, peakBytes: bufferBytes.reduce((s, b) => s + b, 0), naiveBytes };
}
