// The bundling step of `npm run build` (scripts/build.mjs, which also writes the .d.ts files and
// the weights modules): one entry point per subpath export — src/index.ts → index.js (`webcnn`),
// src/train/index.ts → train.js (`webcnn/train`), src/onnx/index.ts → onnx.js (`webcnn/onnx`) —
// and src/cli/main.ts → cli.js (the `webcnn` command, run by bin/webcnn.js). Code shared by
// entries goes to chunks/, so the core entry never loads the training or ONNX code. ESM for
// Node 20 and current browsers, WGSL inlined as strings through Vite's `?raw`, source maps.
// Output goes to $WEBCNN_BUILD_OUT (the build script's staging folder), else dist/.
// Dawn (`webgpu`), the other runtime dependencies and Node's built-ins stay external: Dawn is a
// native addon that must be loaded from node_modules, never bundled.
import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const pkg = JSON.parse(readFileSync(here('./package.json'), 'utf8')) as { dependencies?: Record<string, string> };
const dependencies = Object.keys(pkg.dependencies ?? {});
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** `webgpu`, `commander`, … and their subpaths; `fs`, `node:fs`, … */
function isExternal(id: string): boolean {
  return builtins.has(id) || id.startsWith('node:') || dependencies.some((d) => id === d || id.startsWith(`${d}/`));
}

const entries: Record<string, string> = {
  index: here('./src/index.ts'),
  train: here('./src/train/index.ts'),
  cli: here('./src/cli/main.ts'),
};
// ONNX import is written alongside; the subpath is built once its entry exists.
if (existsSync(here('./src/onnx/index.ts'))) entries.onnx = here('./src/onnx/index.ts');

export default defineConfig({
  // Not the demo's public/ folder or index.html: this build is the package only.
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: process.env.WEBCNN_BUILD_OUT ?? here('./dist'),
    emptyOutDir: true,
    target: ['es2022', 'node20'],
    sourcemap: true,
    minify: false,
    reportCompressedSize: false,
    lib: {
      entry: entries,
      formats: ['es'],
      fileName: (_format, entryName) => `${entryName}.js`,
    },
    rollupOptions: {
      external: isExternal,
      output: { chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
