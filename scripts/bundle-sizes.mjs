#!/usr/bin/env node
// What each entry point of the built package costs an app: `npm run bundle-sizes` (after
// `npm run build`). For every JavaScript subpath in package.json's `exports` it follows the
// static imports inside dist/ (what loading the entry loads; `import()` targets are listed
// apart, as lazy), and prints the raw, gzipped and minified+gzipped bytes (esbuild's minifier,
// gzip level 9, each file on its own as a server would send it).
// It also checks the bundle graph: the core entry (`webcnn`) must not load training code
// (src/train/) or the ONNX importer (src/onnx/), judged by the source maps' `sources`; a
// violation exits 1. `--markdown` prints the table of docs/guide.md (§ The package); `--json` one JSON line.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const FORBIDDEN_IN_CORE = [/(^|\/)src\/train\//, /(^|\/)src\/onnx\//];

/** Static and dynamic relative imports of one built ES module. */
function importsOf(file) {
  const code = readFileSync(file, 'utf8');
  const stat = [...code.matchAll(/^\s*(?:import|export)\s[^;'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
  const lazy = [...code.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  const abs = (s) => resolve(dirname(file), s);
  return { stat: stat.map(abs), lazy: lazy.map(abs) };
}

function closure(entry) {
  const loaded = new Set();
  const lazy = new Set();
  const visit = (f) => {
    if (loaded.has(f)) return;
    loaded.add(f);
    const { stat, lazy: l } = importsOf(f);
    stat.forEach(visit);
    l.forEach((x) => lazy.add(x));
  };
  visit(entry);
  for (const f of loaded) lazy.delete(f);
  // What the lazy imports would add on top.
  const lazyAll = new Set();
  const visitLazy = (f) => {
    if (loaded.has(f) || lazyAll.has(f)) return;
    lazyAll.add(f);
    const { stat, lazy: l } = importsOf(f);
    [...stat, ...l].forEach(visitLazy);
  };
  lazy.forEach(visitLazy);
  return { loaded: [...loaded], lazy: [...lazyAll] };
}

function sourcesOf(file) {
  const map = `${file}.map`;
  if (!existsSync(map)) return [];
  const m = JSON.parse(readFileSync(map, 'utf8'));
  return m.sources.map((s) => relative(root, resolve(dirname(file), s)));
}

async function measure(files) {
  let raw = 0;
  let gz = 0;
  let minGz = 0;
  for (const f of files) {
    const code = readFileSync(f);
    raw += code.length;
    gz += gzipSync(code, { level: 9 }).length;
    const min = await transform(code.toString('utf8'), { minify: true, format: 'esm', target: 'es2022', loader: 'js' });
    minGz += gzipSync(min.code, { level: 9 }).length;
  }
  return { raw, gz, minGz };
}

const rows = [];
let failed = false;
let coreFiles = new Set();
for (const [subpath, target] of Object.entries(pkg.exports)) {
  const js = typeof target === 'string' ? target : target.default;
  if (!js.endsWith('.js') || js.includes('*')) continue;
  const entry = join(root, js);
  const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  if (!existsSync(entry)) {
    rows.push({ name, missing: js });
    continue;
  }
  const { loaded, lazy } = closure(entry);
  const size = await measure(loaded);
  const lazySize = await measure(lazy);
  const sources = loaded.flatMap(sourcesOf);
  const beyondCore = await measure(loaded.filter((f) => !coreFiles.has(f)));
  if (subpath === '.') {
    coreFiles = new Set(loaded);
    const bad = sources.filter((s) => FORBIDDEN_IN_CORE.some((re) => re.test(s)));
    if (bad.length > 0) {
      failed = true;
      console.error(`bundle-sizes: the core entry loads ${bad.join(', ')}: training and ONNX code must stay behind their subpaths`);
    }
  }
  rows.push({
    name,
    files: loaded.map((f) => relative(root, f)),
    modules: sources.filter((s) => !s.includes('?raw')).length,
    shaders: sources.filter((s) => s.includes('?raw')).length,
    ...size,
    beyondCoreMinGz: subpath === '.' ? null : beyondCore.minGz,
    lazy: lazy.map((f) => relative(root, f)),
    lazyGz: lazySize.gz,
    lazyMinGz: lazySize.minGz,
  });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows));
} else if (process.argv.includes('--markdown')) {
  console.log('| entry | loads | raw | gzip | minified + gzip | beyond `webcnn` | loaded on first use |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.missing) {
      console.log(`| \`${r.name}\` | not built (${r.missing}) | | | | | |`);
      continue;
    }
    const lazy = r.lazy.length ? `${kb(r.lazyMinGz)} (${r.lazy.filter((f) => f.endsWith('.js')).length} chunk)` : '—';
    console.log(`| \`${r.name}\` | ${r.modules} modules, ${r.shaders} WGSL files | ${kb(r.raw)} | ${kb(r.gz)} | ${kb(r.minGz)} | ${r.beyondCoreMinGz === null ? '—' : kb(r.beyondCoreMinGz)} | ${lazy} |`);
  }
} else {
  for (const r of rows) {
    if (r.missing) {
      console.log(`${r.name}: not built (${r.missing})`);
      continue;
    }
    console.log(`${r.name}: ${r.files.join(' + ')}`);
    const extra = r.beyondCoreMinGz === null ? '' : `; beyond ${pkg.name}: minified+gzip ${kb(r.beyondCoreMinGz)}`;
    console.log(`  ${r.modules} modules, ${r.shaders} WGSL files; raw ${kb(r.raw)}, gzip ${kb(r.gz)}, minified+gzip ${kb(r.minGz)}${extra}`);
    if (r.lazy.length) console.log(`  on first use (import()): ${r.lazy.join(' + ')}: minified+gzip ${kb(r.lazyMinGz)}`);
  }
}
if (failed) process.exit(1);
