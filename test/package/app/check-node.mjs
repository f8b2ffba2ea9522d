// Plain Node, importing the installed package: the engine (Dawn's WebGPU from the installed
// `webgpu` package), the shipped weights as a module and as the file in node_modules, MNIST
// from `webcnn/train`. Prints one JSON line for the test.
import { createEngine, classify } from 'webcnn';
import { loadMnist, padTo32 } from 'webcnn/train';
import lenet5 from 'webcnn/weights/lenet5';
import { readFileSync } from 'node:fs';

const digits = JSON.parse(readFileSync(new URL('./src/digits.json', import.meta.url), 'utf8')).digits;
const engine = await createEngine();
const model = await engine.load('lenet5', { weights: lenet5 });
const fromFile = await engine.load('lenet5', { weights: new URL('./node_modules/webcnn/weights/lenet5.safetensors', import.meta.url) });
const count = Math.max(...digits.map((d) => d.index)) + 1;
const mnist = await loadMnist('test', { limit: count });
const x = padTo32(mnist.images, count, { lecunNormalize: true });
const all = await classify(model, x);
const viaFile = await classify(fromFile, x);
const picked = digits.map((d) => all[d.index]);
let onnx;
try {
  onnx = typeof (await import('webcnn/onnx')).loadOnnx;
} catch (e) {
  onnx = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || e.code === 'ERR_MODULE_NOT_FOUND' ? undefined : `import failed: ${e.message}`;
}
const result = {
  backend: engine.backendName,
  fallbackReason: engine.fallbackReason,
  labels: digits.map((d) => mnist.labels[d.index]),
  predicted: picked.map((c) => c.label),
  scores: picked.map((c) => [...c.scores]),
  fileMatches: viaFile.every((c, i) => c.scores.every((s, j) => s === all[i].scores[j])),
  onnx,
};
engine.dispose();
console.log(JSON.stringify(result));
process.exit(0);
