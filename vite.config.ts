import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The demo is served from index.html at the repository root; `webcnn` resolves to the
// source entry so the demo and the browser tests use the public API exactly as an app would.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^webcnn\/train$/, replacement: fileURLToPath(new URL('./src/train/index.ts', import.meta.url)) },
      { find: /^webcnn\/onnx$/, replacement: fileURLToPath(new URL('./src/onnx/index.ts', import.meta.url)) },
      { find: /^webcnn$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  server: {
    port: process.env.PORT ? Number(process.env.PORT) : undefined,
    strictPort: Boolean(process.env.PORT),
  },
  build: { target: 'es2022' },
});
