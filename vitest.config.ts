import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Node tests run the kernels on Dawn (npm `webgpu`); on a machine without a GPU the device
// layer points Dawn at SwiftShader. Files run in separate forks, one at a time per core.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^webcnn\/train$/, replacement: fileURLToPath(new URL('./src/train/index.ts', import.meta.url)) },
      { find: /^webcnn\/onnx$/, replacement: fileURLToPath(new URL('./src/onnx/index.ts', import.meta.url)) },
      { find: /^webcnn$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
