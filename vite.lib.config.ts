// The library build behind `npm run build`: src/index.ts → dist/index.js (the package) and
// src/cli/main.ts → dist/cli.js (the `webcnn` command, run by bin/webcnn.js). ESM for Node 20
// and current browsers, WGSL inlined as strings through Vite's `?raw`, source maps.
// Dawn (`webgpu`), the other runtime dependencies and Node's built-ins stay external: Dawn is a
// native addon that must be loaded from node_modules, never bundled.
import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const pkg = JSON.parse(readFileSync(here('./package.json'), 'utf8')) as { dependencies?: Record<string, string> };
const dependencies = Object.keys(pkg.dependencies ?? {});
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** `webgpu`, `commander`, … and their subpaths; `fs`, `node:fs`, … */
function isExternal(id: string): boolean {
  return builtins.has(id) || id.startsWith('node:') || dependencies.some((d) => id === d || id.startsWith(`${d}/`));
}

export default defineConfig({
  // Not the demo's public/ folder or index.html: this build is the package only.
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: ['es2022', 'node20'],
    sourcemap: true,
    minify: false,
    reportCompressedSize: false,
    lib: {
      entry: { index: here('./src/index.ts'), cli: here('./src/cli/main.ts') },
      formats: ['es'],
      fileName: (_format, entryName) => `${entryName}.js`,
    },
    rollupOptions: {
      external: isExternal,
      output: { chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
