// The WebAssembly kernels of webcnn's wasm backend (src/backends/wasm/): one module, SIMD128,
// compiled by AssemblyScript (scripts/build-wasm.mjs). Linear memory is imported and managed by
// the backend; the kernels allocate nothing.
export { conv2d } from './conv2d';
export { dense } from './dense';
export { depthwiseConv2d } from './depthwise';
export { activation, binary, stridedCopy } from './elementwise';
export { pool2d, globalPool, adaptiveAvgPool } from './pool';
export { batchNorm, softmax } from './norm';
export { resample2d } from './resample';
