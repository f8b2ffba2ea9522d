// Fuzzing the ONNX importer with seeded corruptions of real PyTorch exports (the fixtures):
// flipped bits anywhere, flipped bits in the first kilobyte (graph structure, attributes,
// shapes), runs of random bytes, and truncations. Every case must end, quickly, in a model or
// an OnnxError — never a hang, another exception type, or an allocation the file's size does
// not justify.
import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx, OnnxError } from 'webcnn/onnx';
import { Rng } from './helpers/random.js';

const CASES = 1200;
const FILES = ['inception', 'grouped', 'lrn', 'depthwise', 'residual', 'batchnorm'];

it(`${CASES} seeded corruptions of PyTorch ONNX exports end in a model or an OnnxError`, async () => {
  const originals = FILES.map((f) => new Uint8Array(readFileSync(new URL(`./fixtures/onnx/${f}.onnx`, import.meta.url))));
  const rng = new Rng(4);
  const outcomes = { valid: 0, rejected: 0 };
  let slowest = 0;
  for (let c = 0; c < CASES; c++) {
    // Let vitest's worker talk to its parent now and then: the loop is synchronous.
    if (c % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    const original = originals[c % originals.length];
    let bytes = original.slice();
    const kind = Math.floor(c / originals.length) % 4;
    if (kind === 0) {
      for (let k = rng.int(1, 8); k > 0; k--) bytes[rng.int(0, bytes.length - 1)] ^= 1 << rng.int(0, 7);
    } else if (kind === 1) {
      for (let k = rng.int(1, 4); k > 0; k--) bytes[rng.int(0, Math.min(1023, bytes.length - 1))] ^= 1 << rng.int(0, 7);
    } else if (kind === 2) {
      const at = rng.int(0, bytes.length - 1);
      for (let k = rng.int(1, 12); k > 0 && at + k < bytes.length; k--) bytes[at + k] = rng.int(0, 255);
    } else {
      bytes = bytes.subarray(0, rng.int(0, bytes.length - 1));
    }
    const t0 = performance.now();
    try {
      const model = importOnnx(bytes, { label: `case ${c}` });
      // What it holds was decoded from this file: no more weight values than the bytes allow.
      let values = 0;
      for (const w of model.getWeights().values()) values += w.length;
      expect(values).toBeLessThanOrEqual(bytes.length);
      outcomes.valid++;
    } catch (e) {
      if (!(e instanceof OnnxError)) throw new Error(`case ${c} (kind ${kind}) threw ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
      expect((e as Error).message).toMatch(new RegExp(`^case ${c}: `));
      outcomes.rejected++;
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    expect(ms, `case ${c} took too long`).toBeLessThan(5000);
  }
  expect(outcomes.valid + outcomes.rejected).toBe(CASES);
  expect(outcomes.rejected).toBeGreaterThan(CASES / 3);
  console.log(`onnx fuzz: ${outcomes.valid} valid, ${outcomes.rejected} rejected with OnnxError; slowest case ${slowest.toFixed(0)} ms`);
}, 600_000);
