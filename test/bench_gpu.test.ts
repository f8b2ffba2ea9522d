// bench/gpu.ts: the --gpu run names its results folder after the adapter and refuses a software adapter.
import { describe, it, expect } from 'vitest';
import { adapterSlug, refuseSoftware } from '../bench/gpu.js';

describe('bench --gpu', () => {
  it('names the results folder after the vendor and architecture', () => {
    expect(adapterSlug({ vendor: 'nvidia', architecture: 'ada-lovelace', description: 'NVIDIA GeForce RTX 4090', device: '' })).toBe('nvidia-ada-lovelace');
    expect(adapterSlug({ vendor: 'apple', architecture: '', description: 'Apple M2 Pro', device: '' })).toBe('apple-apple-m2-pro');
    expect(adapterSlug({ vendor: '', architecture: '', description: '', device: '' })).toBe('unknown-gpu');
  });

  it('refuses a software adapter, naming it, and accepts a hardware one', () => {
    const soft = refuseSoftware({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', isSoftware: true }, 'Chromium');
    expect(soft).toMatch(/Chromium got a software adapter \(google swiftshader SwiftShader Device/);
    expect(refuseSoftware({ vendor: 'amd', architecture: 'rdna-3', description: '', isSoftware: false }, 'Node')).toBeNull();
  });
});
