// Plain Node, importing the installed package: the engine ('auto': WebGPU on a hardware
// adapter, else the wasm backend, whose kernels load from the package; and Dawn's WebGPU from
// the installed `webgpu` package asked for by name), the shipped weights as a module and as the
// file in node_modules, MNIST from `webcnn/train`. Prints one JSON line for the test.
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
// WebGPU by name: Dawn, whatever its adapter.
const gpuEngine = await createEngine({ backend: 'webgpu' });
const onGpu = await classify(await gpuEngine.load('lenet5', { weights: lenet5 }), x);
const gpu = { backend: gpuEngine.backendName, adapter: gpuEngine.backend.ctx?.info, scores: digits.map((d) => [...onGpu[d.index].scores]) };
gpuEngine.dispose();
let onnx;
try {
  onnx = typeof (await import('webcnn/onnx')).loadOnnx;
} catch (e) {
  onnx = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || e.code === 'ERR_MODULE_NOT_FOUND' ? undefined : `import failed: ${e.message}`;
}
const result = {
  backend: engine.backendName,
  fallbackReason: engine.fallbackReason,
  threads: engine.backend.threads,
  gpu,
  labels: digits.map((d) => mnist.labels[d.index]),
  predicted: picked.map((c) => c.label),
  scores: picked.map((c) => [...c.scores]),
  fileMatches: viaFile.every((c, i) => c.scores.every((s, j) => s === all[i].scores[j])),
  onnx,
};
engine.dispose();
console.log(JSON.stringify(result));
process.exit(0);
