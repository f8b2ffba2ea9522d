// Fuzzing the safetensors reader with seeded corruptions of a real LeNet-5 weights file:
// flipped bytes (header and data), truncation, and grown or shrunk header lengths. Every case
// must end, quickly, in a valid file or a SafetensorsError — never a hang, a crash, another
// exception type, or an allocation the file's size does not justify.
import { it, expect } from 'vitest';
import { createModel, readSafetensors, SafetensorsError } from 'webcnn';
import { Rng } from './helpers/random.js';

const CASES = 1200;

it(`${CASES} seeded corruptions of a LeNet-5 safetensors file end in a model or a typed error`, () => {
  const original = createModel('lenet5', { seed: 1 }).saveWeights();
  const headerLen = Number(new DataView(original.buffer).getBigUint64(0, true));
  const rng = new Rng(2026);
  const outcomes = { valid: 0, rejected: 0 };
  for (let c = 0; c < CASES; c++) {
    let bytes = original.slice();
    const kind = c % 4;
    if (kind === 0) {
      // Flip 1-8 bytes of the header (including its length).
      for (let k = rng.int(1, 8); k > 0; k--) bytes[rng.int(0, 8 + headerLen - 1)] ^= 1 << rng.int(0, 7);
    } else if (kind === 1) {
      bytes = bytes.subarray(0, rng.int(0, bytes.length - 1));
    } else if (kind === 2) {
      // Flip bytes anywhere, data included (data changes give valid files with other values).
      for (let k = rng.int(1, 16); k > 0; k--) bytes[rng.int(0, bytes.length - 1)] ^= 1 << rng.int(0, 7);
    } else {
      new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLen + rng.int(-64, 64)) * BigInt(rng.next() < 0.2 ? 2 ** 20 : 1), true);
    }
    const t0 = performance.now();
    try {
      const f = readSafetensors(bytes, `case ${c}`);
      let values = 0;
      for (const t of f.tensors.values()) values += t.data.length;
      expect(values * 4).toBeLessThanOrEqual(bytes.length);
      outcomes.valid++;
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw new Error(`case ${c} (kind ${kind}) threw ${(e as Error).name}: ${(e as Error).message}`);
      expect((e as Error).message).toMatch(new RegExp(`^case ${c}: `));
      outcomes.rejected++;
    }
    expect(performance.now() - t0, `case ${c} took too long`).toBeLessThan(1000);
  }
  expect(outcomes.valid + outcomes.rejected).toBe(CASES);
  expect(outcomes.rejected).toBeGreaterThan(CASES / 2);
  console.log(`safetensors fuzz: ${outcomes.valid} valid, ${outcomes.rejected} rejected with SafetensorsError`);
});
