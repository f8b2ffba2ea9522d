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
export { conv2d_backward_weight, conv2d_backward_input, conv2d_backward_bias, sum_slices } from './conv2d_backward';
export { dense_backward_input, dense_backward_weight, activation_backward, pool2d_backward, subsample, subsample_backward, sgd_step, adam_step } from './train_ops';
