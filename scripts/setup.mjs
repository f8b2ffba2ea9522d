#!/usr/bin/env node
// One-time set-up behind `npm start` and `npm test` (their pre-scripts), so that a fresh clone
// needs nothing else:
//  1. npm dependencies, when node_modules is missing or older than package-lock.json, then the
//     wasm backend's kernels (scripts/build-wasm.mjs, AssemblyScript from npm), when stale;
//  2. for tests on Linux: Debian's `chromium` (headless browser tests, and SwiftShader, the
//     Vulkan driver on the CPU that gives a WebGPU adapter without a GPU) and `libvulkan1`
//     (the Vulkan loader Dawn needs), ONNX's operator tests, and PyTorch (`python3-torch`,
//     `python3-torchvision`, `python3-onnx`), which exports the vision-family models that
//     test/vision_families.test.ts runs;
//  3. for `npm run bench` (`--for bench`): Chromium and the Vulkan loader again, and PyTorch
//     (`python3-torch`, `python3-torchvision`, `python3-onnx`, for /usr/bin/python3), which
//     builds the benchmarked models with their weights and exports them to ONNX.
// System packages are installed with apt-get when running as root, otherwise one line says
// what to install.
// Only Node built-ins here: this runs before dependencies exist.
import { existsSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'test';

function log(msg) {
  console.log(`[setup] ${msg}`);
}

function run(cmd, opts = {}) {
  log(cmd);
  execSync(cmd, { stdio: 'inherit', cwd: root, ...opts });
}

function npmDependencies() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(stamp) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(stamp).mtimeMs + 1000)) {
    // `npm install`, not `npm ci`: it follows the lock file as well, and npm 11 can refuse `ci`
    // on a lock file it wrote itself (optional platform packages listed without versions).
    run('npm install --no-audit --no-fund');
  }
}

const CHROMIUM = { pkg: 'chromium', files: ['/usr/bin/chromium', '/usr/lib/chromium/vk_swiftshader_icd.json'] };
const VULKAN_LOADER = { pkg: 'libvulkan1', files: ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'], any: true };

const PYTORCH = [
  { pkg: 'python3-torch', files: ['/usr/lib/python3/dist-packages/torch/__init__.py'] },
  { pkg: 'python3-torchvision', files: ['/usr/lib/python3/dist-packages/torchvision/__init__.py'] },
  { pkg: 'python3-onnx', files: ['/usr/lib/python3/dist-packages/onnx/__init__.py'] },
];

const DEBIAN_PACKAGES = [
  CHROMIUM,
  VULKAN_LOADER,
  // ONNX's own operator tests, run through the importer by test/onnx_conformance.test.ts.
  { pkg: 'libonnx-testdata', files: ['/usr/share/libonnx-testdata/data/node/test_relu/model.onnx'] },
  // scripts/vision_fixtures.py, run by test/vision_families.test.ts and test/browser/vision.spec.ts.
  ...PYTORCH,
];

const BENCH_PACKAGES = [CHROMIUM, VULKAN_LOADER, ...PYTORCH];

function systemPackages(packages) {
  if (process.platform !== 'linux') return;
  const missing = packages.filter(({ files, any }) => (any ? !files.some(existsSync) : !files.every(existsSync))).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.error(
      `[setup] missing system packages for ${purpose === 'bench' ? 'the benchmarks' : 'the WebGPU tests'}: install them with 'sudo apt-get install -y ${missing.join(' ')}' (Debian/Ubuntu), then run ${purpose === 'bench' ? 'npm run bench' : 'npm test'} again.`,
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get update -qq', { env });
  run(`apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { env });
}

/** The WebAssembly kernels of the wasm backend (AssemblyScript, an npm dependency): built when missing or stale. */
function wasmKernels() {
  run(`"${process.execPath}" scripts/build-wasm.mjs`);
}

npmDependencies();
wasmKernels();
if (purpose === 'test') systemPackages(DEBIAN_PACKAGES);
if (purpose === 'bench') systemPackages(BENCH_PACKAGES);
