/**
 * The vision-family fixtures, generated at test time: scripts/vision_fixtures.py (PyTorch and
 * torchvision, Debian's python3-torch) exports one small model per family with an input and
 * PyTorch's outputs. The files are cached in node_modules/.cache/webcnn-vision/<hash>/, keyed by
 * the script's content, so they are made once per version of the script; older versions' files
 * are removed when a new one is made. Used by test/vision_families.test.ts (Node) and
 * test/browser/vision.spec.ts (Chromium).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
export const VISION_SCRIPT = join(root, 'scripts/vision_fixtures.py');
const CACHE = join(root, 'node_modules/.cache/webcnn-vision');
/** The interpreter with torch, torchvision and onnx (Debian's; `python3` on PATH may be another). */
const PYTHON = process.env.WEBCNN_PYTHON ?? '/usr/bin/python3';

/** One family's files, as the script's NAME.json describes them. */
export interface VisionFixture {
  name: string;
  family: string;
  opset: number;
  input: { name: string; shape: number[] };
  outputs: { name: string; file: string; shape: number[] }[];
  params: number;
  bytes: number;
}

export type VisionFixtures = { dir: string; hash: string; fixtures: VisionFixture[] } | { missing: string };

/** The cache directory's name for the current script: the first 16 hex digits of its SHA-256. */
export function scriptHash(): string {
  return createHash('sha256').update(readFileSync(VISION_SCRIPT)).digest('hex').slice(0, 16);
}

/**
 * The fixtures' directory and manifest, running the script first when this version of it has
 * not run yet. Resolves to `{ missing }` (saying what to install) when PyTorch is not there.
 */
export async function visionFixtures(): Promise<VisionFixtures> {
  const hash = scriptHash();
  const dir = join(CACHE, hash);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) {
    try {
      await run(PYTHON, ['-c', 'import torch, torchvision, onnx']);
    } catch (e) {
      return { missing: `${PYTHON} cannot import torch, torchvision and onnx (install Debian's python3-torch python3-torchvision python3-onnx, or set WEBCNN_PYTHON): ${(e as Error).message.split('\n')[0]}` };
    }
    // Written beside the cache under a temporary name and renamed, so that a run interrupted
    // half-way leaves nothing that looks finished, and two runs at once do not mix files.
    const tmp = join(CACHE, `${hash}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await run(PYTHON, [VISION_SCRIPT, tmp], { maxBuffer: 16 << 20 });
    if (existsSync(manifest)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, dir);
    // Older scripts' files, and temporary directories of runs that died (another run's live one is younger than an hour).
    for (const old of readdirSync(CACHE)) {
      const stale = old.includes('.tmp-') ? Date.now() - statSync(join(CACHE, old)).mtimeMs > 3_600_000 : old !== hash;
      if (stale) rmSync(join(CACHE, old), { recursive: true, force: true });
    }
  }
  return { dir, hash, fixtures: JSON.parse(readFileSync(manifest, 'utf8')) as VisionFixture[] };
}
