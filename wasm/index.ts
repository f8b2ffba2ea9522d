// The WebAssembly kernels of webcnn's wasm backend (src/backends/wasm/): one module, SIMD128,
// compiled by AssemblyScript (scripts/build-wasm.mjs). Linear memory is imported and managed by
// the backend; the kernels allocate nothing.
export { conv2d } from './conv2d';
export { dense } from './dense';
export { conv2d_backward_weight, conv2d_backward_input, conv2d_backward_bias, sum_slices } from './conv2d_backward';
