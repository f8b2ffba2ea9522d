// The `webcnn` command as a user runs it: `node bin/webcnn.js …` in a child process, on the
// built dist/ (rebuilt by the global set-up when a source is newer than it). Covers the layer table and its
// JSON, the flags, one-line user errors without stacks and their exit statuses, the real
// WebGPU adapter (a missing adapter fails, never skips), and the first-run build of a fresh
// checkout that has no dist/ yet.
import { describe, it, expect } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryReport } from '../src/cli/summary.js';
import type { DeviceReport, InfoReport } from '../src/cli/info.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The zoo's names, as the models module declares them: the unknown-model error must list them all. */
const ZOO = ['lenet5', 'lenet', 'alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet34', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'unet'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function webcnn(args: readonly string[], options: { bin?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [options.bin ?? join(root, 'bin', 'webcnn.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: options.env ?? process.env,
    // The process must exit by itself (Dawn keeps handles open): a hang is a failure, not a wait.
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** A JavaScript stack frame (Dawn's own native warnings also contain "at …" lines, with C++ paths). */
const JS_STACK_FRAME = /^\s+at .*(\.js|\.ts|node:internal)/m;

/** The checks every user error must pass: non-zero status, one line `webcnn: …`, no stack. */
function expectUserError(r: Run, status: number): string {
  expect(r.status, r.stderr).toBe(status);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^webcnn: \S/);
  expect(r.stderr).not.toMatch(JS_STACK_FRAME);
  return lines[0];
}


describe('webcnn summary', () => {
  it('summary resnet50 --json prints one JSON object on the last line', () => {
    const r = webcnn(['summary', 'resnet50', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n'), 'nothing but the JSON line').toHaveLength(1);
    const report = JSON.parse(lastLine(r.stdout)) as SummaryReport;
    expect(Object.keys(report).sort()).toEqual(['layers', 'model', 'peakActivationBytes', 'totalParams', 'trainableParams']);
    expect(report.model).toMatch(/resnet50/);
    // torchvision's count (PyTorch `parameters()`): batch norm's running statistics are buffers.
    expect(report.totalParams).toBe(25_557_032);
    expect(report.trainableParams).toBe(25_557_032);
    expect(report.layers.length).toBeGreaterThan(50);
    for (const l of report.layers) {
      expect(typeof l.name).toBe('string');
      expect(typeof l.type).toBe('string');
      expect(l.outputShape[0], `${l.name} has the batch first`).toBe(1);
      expect(Number.isInteger(l.params) && l.params >= 0).toBe(true);
    }
    expect(report.layers.reduce((s, l) => s + l.params, 0)).toBe(report.totalParams);
    expect(report.layers.at(-1)!.outputShape).toEqual([1, 1000]);
    expect(report.peakActivationBytes).toBeGreaterThan(0);
    // With reuse, the peak is below the sum of every layer output.
    const naive = report.layers.reduce((s, l) => s + l.outputShape.reduce((a, b) => a * b, 1) * 4, 0);
    expect(report.peakActivationBytes).toBeLessThan(naive);
  });

  it('summary lenet5 prints the layer table with per-layer params, the total and the peak memory', () => {
    const r = webcnn(['summary', 'lenet5']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // LeCun et al. 1998, Table I: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164 (+ 840 fixed RBF centres).
    expect(r.stdout).toMatch(/^c1\s+conv2d\s+\[1,6,28,28\]\s+156$/m);
    expect(r.stdout).toMatch(/^s2\s+subsample\s+\[1,6,14,14\]\s+12$/m);
    expect(r.stdout).toMatch(/^c3\s+conv2d\s+\[1,16,10,10\]\s+1,516$/m);
    expect(r.stdout).toMatch(/^s4\s+subsample\s+\[1,16,5,5\]\s+32$/m);
    expect(r.stdout).toMatch(/^c5\s+conv2d\s+\[1,120,1,1\]\s+48,120$/m);
    expect(r.stdout).toMatch(/^f6\s+dense\s+\[1,84\]\s+10,164$/m);
    expect(r.stdout).toMatch(/^total params: 60,840\b/m);
    // The text and the JSON agree on every layer and on the peak.
    const report = JSON.parse(lastLine(webcnn(['summary', 'lenet5', '--json']).stdout)) as SummaryReport;
    for (const l of report.layers) {
      expect(r.stdout).toMatch(new RegExp(`^${l.name}\\s+${l.type}\\s+\\[${l.outputShape.join(',')}\\]\\s+${l.params.toLocaleString('en-US')}$`, 'm'));
    }
    expect(r.stdout).toContain(`peak ${report.peakActivationBytes.toLocaleString('en-US')} bytes`);
  });

  it('summary --batch scales the shapes and the peak; --input-size changes the input', () => {
    const one = JSON.parse(lastLine(webcnn(['summary', 'lenet5', '--json']).stdout)) as SummaryReport;
    const r = webcnn(['summary', 'lenet5', '--json', '--batch', '3']);
    expect(r.status, r.stderr).toBe(0);
    const three = JSON.parse(lastLine(r.stdout)) as SummaryReport;
    expect(three.totalParams).toBe(one.totalParams);
    expect(three.layers.map((l) => l.outputShape)).toEqual(one.layers.map((l) => [3, ...l.outputShape.slice(1)]));
    expect(three.peakActivationBytes).toBe(3 * one.peakActivationBytes);

    const big = webcnn(['summary', 'resnet18', '--json', '--input-size', '64']);
    expect(big.status, big.stderr).toBe(0);
    const small = JSON.parse(lastLine(big.stdout)) as SummaryReport;
    const full = JSON.parse(lastLine(webcnn(['summary', 'resnet18', '--json']).stdout)) as SummaryReport;
    expect(small.totalParams).toBe(full.totalParams);
    expect(small.peakActivationBytes).toBeLessThan(full.peakActivationBytes);
  });

  it('an unknown model is one line on stderr naming the allowed models, exit status 2', () => {
    const line = expectUserError(webcnn(['summary', 'resnet51']), 2);
    expect(line).toContain("'resnet51'");
    for (const name of ZOO) expect(line).toContain(name);
  });

  it('a model that does not fit the input size is a one-line error naming the layer, exit status 1', () => {
    const line = expectUserError(webcnn(['summary', 'lenet5', '--input-size', '8']), 1);
    expect(line).toMatch(/^webcnn: \w+ '\w+': /);
  });

  it('bad flags, missing arguments and unknown commands are one-line usage errors, exit status 2', () => {
    expect(expectUserError(webcnn(['summary', 'lenet5', '--batch', '0']), 2)).toMatch(/--batch.*'0'.*positive integer/);
    expect(expectUserError(webcnn(['summary', 'lenet5', '--batch', '2.5']), 2)).toMatch(/positive integer/);
    expect(expectUserError(webcnn(['summary', 'lenet5', '--bogus']), 2)).toContain("unknown option '--bogus'");
    expect(expectUserError(webcnn(['summary']), 2)).toContain("missing required argument 'model'");
    expect(expectUserError(webcnn(['summary', 'lenet5', 'lenet']), 2)).toContain('too many arguments');
    expect(expectUserError(webcnn(['sumary', 'lenet5']), 2)).toMatch(/unknown command 'sumary'.*summary/);
  });

  it('--help of each command prints its usage and exits 0; no command prints help and exits 2', () => {
    for (const args of [['--help'], ['summary', '--help'], ['info', '--help'], ['help', 'summary']]) {
      const r = webcnn(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: webcnn/);
    }
    expect(webcnn(['summary', '--help']).stdout).toContain('--input-size');
    expect(webcnn(['--help']).stdout, 'the top-level help says what the tool is for').toMatch(/ONNX/);
    for (const command of ['summary', 'info', 'run', 'train', 'eval']) expect(webcnn([command, '--help']).stdout, `${command} takes --json`).toContain('--json');
    const none = webcnn([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^Usage: webcnn/);
    expect(webcnn(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('webcnn info', () => {
  // The real adapter (SwiftShader on machines without a GPU): no adapter fails this test.
  it("info --json reports the backend 'auto' picks (wasm on a software adapter, with its threads) and the adapter, runtime, features and limits, and exits by itself", () => {
    const r = webcnn(['info', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr, 'nothing on stderr when it succeeds (Dawn warns when asked for a Vulkan driver that is not there)').toBe('');
    const info = JSON.parse(lastLine(r.stdout)) as InfoReport;
    expect('webgpuError' in info, 'an adapter').toBe(false);
    const report = info as DeviceReport & InfoReport;
    expect(typeof report.vendor).toBe('string');
    expect(typeof report.architecture).toBe('string');
    expect(`${report.vendor}${report.architecture}${report.description}`.length, 'some adapter info').toBeGreaterThan(0);
    expect(['node-dawn', 'node-dawn-swiftshader']).toContain(report.runtime);
    expect(Array.isArray(report.features)).toBe(true);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    if (report.isSoftware) {
      expect(report.backend).toBe('wasm');
      expect(report.threads).toBeGreaterThanOrEqual(1);
      expect(report.fallbackReason).toMatch(/software/);
    } else {
      expect(report.backend).toBe('webgpu');
      expect(report.threads).toBeUndefined();
    }

    const text = webcnn(['info']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(report.isSoftware ? /^backend\s+wasm \(\d+ threads?\)$/m : /^backend\s+webgpu$/m);
    expect(text.stdout).toMatch(new RegExp(`^architecture\\s+${report.architecture || '\\(not reported\\)'}$`, 'm'));
    expect(text.stdout).toMatch(/^maxStorageBufferBindingSize\s+[\d,]+$/m);
  });

  // Vulkan with no driver: the only way to take the adapter away on Linux.
  it.runIf(process.platform === 'linux')('no adapter: the wasm backend, and why there is no WebGPU adapter (WebGpuUnavailableError\'s message)', () => {
    const env = { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'webcnn-no-such-icd.json') };
    const r = webcnn(['info'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backend\s+wasm \(\d+ threads?\)$/m);
    expect(r.stdout).toMatch(/^why\s+No WebGPU adapter in Node: /m);
    expect(r.stdout).toMatch(/^WebGPU adapter: none\. No WebGPU adapter in Node: /m);
    const json = JSON.parse(lastLine(webcnn(['info', '--json'], { env }).stdout)) as InfoReport;
    expect(json).toMatchObject({ backend: 'wasm', webgpuError: expect.stringMatching(/^No WebGPU adapter in Node: /) as unknown });
  });

  it('--backend takes auto, webgpu, wasm, reference and cpu, nothing else', () => {
    expect(expectUserError(webcnn(['run', 'lenet', '--backend', 'gpu']), 2)).toMatch(/It must be one of auto, webgpu, wasm, reference, cpu/);
    expect(expectUserError(webcnn(['eval', 'lenet', '--dataset', 'mnist-test', '--threads', '0']), 2)).toMatch(/positive integer/);
    expect(webcnn(['run', '--help']).stdout).toMatch(/--backend <name>\s+'auto'[\s\S]*\(default:\s+"auto"\)/);
  });
});

describe('bin/webcnn.js', () => {
  it('in a fresh checkout without dist/, builds once (output on stderr), then runs the command', () => {
    // A checkout of its own: the sources linked, the build config and the bin copied, no dist/.
    const clone = mkdtempSync(join(tmpdir(), 'webcnn-clone-'));
    try {
      for (const dir of ['src', 'shaders', 'wasm', 'weights', 'node_modules']) symlinkSync(join(root, dir), join(clone, dir), 'dir');
      mkdirSync(join(clone, 'bin'));
      mkdirSync(join(clone, 'scripts'));
      for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.lib.config.ts', 'scripts/build.mjs', 'scripts/build-wasm.mjs', 'bin/webcnn.js']) {
        // Timestamps kept: a build-wasm.mjs newer than the built kernels would recompile them.
        cpSync(join(root, file), join(clone, file), { preserveTimestamps: true });
      }
      const r = webcnn(['summary', 'lenet5', '--json'], { bin: join(clone, 'bin', 'webcnn.js') });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('npm run build');
      expect(r.stdout.trimEnd().split('\n'), 'the build wrote nothing to stdout').toHaveLength(1);
      expect((JSON.parse(r.stdout) as SummaryReport).totalParams).toBe(60_840);
      expect(existsSync(join(clone, 'dist', 'cli.js'))).toBe(true);
      // Built once: the second run starts the existing build.
      const again = webcnn(['summary', 'lenet5', '--json'], { bin: join(clone, 'bin', 'webcnn.js') });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toBe('');
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('webcnn train / eval', () => {
  /** Asynchronously, so a long run does not block the test worker. */
  function runAsync(args: readonly string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [join(root, 'bin', 'webcnn.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 170_000 }, (err, stdout, stderr) => {
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('trains lenet on an MNIST subset, saves safetensors, and eval reads them back with the same accuracy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcnn-train-'));
    try {
      const weights = join(dir, 'lenet.safetensors');
      const t = await runAsync(['train', 'lenet', '--limit', '256', '--test-limit', '500', '--batch', '64', '--out', weights, '--json']);
      expect(t.status, t.stderr).toBe(0);
      const trained = JSON.parse(lastLine(t.stdout)) as { model: string; accuracy: number; imagesPerSec: number; weights: string };
      expect(trained.model).toBe('lenet');
      expect(trained.weights).toBe(weights);
      expect(trained.imagesPerSec).toBeGreaterThan(0);
      expect(t.stderr).toMatch(/epoch 1\/1 batch 4\/4/);
      expect(existsSync(weights)).toBe(true);
      const e = await runAsync(['eval', 'lenet', '--weights', weights, '--dataset', 'mnist-test', '--limit', '500', '--json']);
      expect(e.status, e.stderr).toBe(0);
      const evaluated = JSON.parse(lastLine(e.stdout)) as { model: string; accuracy: number; images: number; ms: number };
      expect(evaluated).toMatchObject({ model: 'lenet', images: 500 });
      expect(evaluated.accuracy).toBeCloseTo(trained.accuracy, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses what it cannot do in one line', () => {
    expect(expectUserError(webcnn(['train', 'resnet50']), 2)).toMatch(/not trainable from the command line; choose lenet5 or lenet/);
    expect(expectUserError(webcnn(['eval', 'lenet', '--dataset', 'cifar']), 2)).toMatch(/unknown dataset 'cifar'/);
    expect(expectUserError(webcnn(['eval', 'lenet', '--dataset', 'mnist-test', '--weights', '/nonexistent.safetensors']), 2)).toMatch(/does not exist/);
    expect(expectUserError(webcnn(['train', 'lenet', '--optimizer', 'rmsprop']), 2)).toMatch(/adam' or 'sgd/);
  });
});
