import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

/**
 * `webcnn/weights/<model>` as the built package has it (a module whose default export is the
 * safetensors bytes of weights/<model>.safetensors), made from the file itself in tests.
 */
function shippedWeightsModules() {
  const prefix = '\0webcnn-weights:';
  return {
    name: 'webcnn-shipped-weights',
    resolveId(id: string) {
      const m = /^webcnn\/weights\/(lenet5|lenet)$/.exec(id);
      return m ? `${prefix}${m[1]}` : null;
    },
    load(id: string) {
      if (!id.startsWith(prefix)) return null;
      const file = fileURLToPath(new URL(`./weights/${id.slice(prefix.length)}.safetensors`, import.meta.url));
      const base64 = readFileSync(file).toString('base64');
      return `const bytes = Uint8Array.from(atob('${base64}'), (c) => c.charCodeAt(0));\nexport const safetensors = bytes;\nexport default bytes;\n`;
    },
  };
}

// Node tests run the kernels on Dawn (npm `webgpu`); on a machine without a GPU the device
// layer points Dawn at SwiftShader. Files run in separate forks, one at a time per core.
export default defineConfig({
  plugins: [shippedWeightsModules()],
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
