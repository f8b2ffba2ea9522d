/**
 * The command-line grammar of `webcnn`, on commander: commands, arguments, flags, help.
 * Parse errors are thrown (exitOverride) rather than printed, so `run.ts` reports every error
 * the same way: one line, `webcnn: <message>`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { version } from '../../package.json';
import { ZOO_NAMES } from '../models/index.js';
import { runSummary, type SummaryFlags } from './summary.js';
import { runInfo, type InfoFlags } from './info.js';
import { runDispatches, type DispatchesFlags } from './dispatches.js';
import { runTrain, runEval, type TrainFlags, type EvalFlags } from './mnist_tasks.js';
import { runModel, collectInput, type RunFlags } from './run_onnx.js';
import type { CliOutput } from './output.js';
import { backendChoice, BACKEND_HELP } from './backend.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('It must be a positive integer.');
  return n;
}

export function createProgram(out: CliOutput): Command {
  const print = (text: string) => out.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command('webcnn')
    .description('A CNN engine on WebGPU and WebAssembly: run ONNX models and the model zoo on .npy inputs, inspect models and the GPU, train LeNet on MNIST.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help for a command')
    .helpCommand('help [command]', 'print help for a command')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr, outputError: () => undefined })
    .exitOverride();

  program
    .command('summary')
    .description("print a model's layers (name, type, output shape, parameters), its parameter count and its peak activation memory; needs no GPU")
    .argument('<model>', `an .onnx file, or a zoo model: ${ZOO_NAMES.join(', ')}`)
    .option('--json', 'print one JSON object on one line: {model, totalParams, trainableParams, layers: [{name, type, outputShape, params}], peakActivationBytes}')
    .option('-b, --batch <n>', 'batch size for output shapes and memory (default 1)', positiveInteger)
    .option('-s, --input-size <s>', "zoo models: input height and width in pixels (default: the model's own)", positiveInteger)
    .action(async (model: string, _opts: unknown, cmd: Command) => print(await runSummary(model, cmd.opts<SummaryFlags>())));

  program
    .command('info')
    .description("without a model: the backend 'auto' picks here (and the wasm backend's threads), then the WebGPU adapter, runtime, features and key limits; with one: its inputs, outputs, shapes, layers, parameters and (ONNX) ops, without a GPU")
    .argument('[model]', `an .onnx file, or a zoo model: ${ZOO_NAMES.join(', ')}`)
    .option('--json', 'print one JSON object on one line')
    .action(async (model: string | undefined, _opts: unknown, cmd: Command) => print(await runInfo(cmd.opts<InfoFlags>(), model)));

  program
    .command('dispatches')
    .description("what one forward asks of a GPU's parallelism: dispatches, workgroups per dispatch and the share of multiply-adds in dispatches of fewer than 128 workgroups (which leave a large GPU idle); records the plan without compiling or running it")
    .argument('<model>', `an .onnx file, or a zoo model: ${ZOO_NAMES.join(', ')}`)
    .option('-b, --batch <n>', 'batch size (default 1)', positiveInteger)
    .option('-s, --input-size <s>', "zoo models: input height and width in pixels (default: the model's own)", positiveInteger)
    .option('--tuning <adapter>', "choose kernels as this adapter class would: 'default' (an unknown hardware GPU), a vendor (nvidia, amd, apple, intel, qualcomm, arm) or vendor/architecture (google/swiftshader); default: this machine's adapter")
    .option('--all', 'list every dispatch, not only the products in small ones')
    .option('--json', 'print one JSON object on one line: {model, batch, tuning, dispatches: [{scope, kernel, workgroups, macs}], totalMacs, smallWorkgroups, smallDispatches, smallMacsShare, workgroups}')
    .action(async (model: string, _opts: unknown, cmd: Command) => print(await runDispatches(model, cmd.opts<DispatchesFlags>())));
  const positiveNumber = (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('It must be a positive number.');
    return n;
  };

  program
    .command('train')
    .description('train lenet5 or lenet on MNIST (on WebGPU, else wasm), show progress, save the weights as safetensors')
    .argument('<model>', 'lenet5 or lenet')
    .option('-e, --epochs <n>', 'epochs', positiveInteger, 1)
    .option('-b, --batch <n>', 'batch size', positiveInteger, 64)
    .option('-o, --out <file>', 'weights file to write (default <model>.safetensors)')
    .option('--optimizer <name>', "'adam' or 'sgd' (Nesterov momentum 0.9)", (v: string) => {
      if (v !== 'adam' && v !== 'sgd') throw new InvalidArgumentError("It must be 'adam' or 'sgd'.");
      return v;
    }, 'adam')
    .option('--lr <rate>', 'learning rate (default 1e-3 adam, 0.01 sgd)', positiveNumber)
    .option('--limit <n>', 'use only the first n training images', positiveInteger)
    .option('--resume <file>', 'start from these safetensors weights (a checkpoint)')
    .option('--augment <pixels>', 'random crops of the image padded by this many pixels (GPU)', positiveInteger)
    .option('--cosine <minLr>', 'decay the learning rate along a cosine over the whole run, down to minLr', positiveNumber)
    .option('--test-limit <n>', 'measure the final accuracy on the first n test images only', positiveInteger)
    .option('--seed <n>', 'seed for weights, shuffling and dropout', (v: string) => Number.parseInt(v, 10), 0)
    .option('--backend <name>', BACKEND_HELP, backendChoice, 'auto')
    .option('--threads <n>', 'wasm backend: threads to compute with (default: the cores, at most 4)', positiveInteger)
    .option('--json', 'print one JSON line: {model, epochs, accuracy, imagesPerSec, ms, weights}')
    .action(async (model: string, _opts: unknown, cmd: Command) => print(await runTrain(model, cmd.opts<TrainFlags>(), out)));

  program
    .command('eval')
    .description('accuracy of a model on the 10,000 MNIST test images (shipped weights unless --weights)')
    .argument('<model>', 'lenet5 or lenet')
    .option('-w, --weights <file>', 'safetensors weights (default: the weights shipped with the package)')
    .requiredOption('-d, --dataset <name>', 'mnist-test')
    .option('--limit <n>', 'use only the first n test images', positiveInteger)
    .option('--backend <name>', BACKEND_HELP, backendChoice, 'auto')
    .option('--threads <n>', 'wasm backend: threads to compute with (default: the cores, at most 4)', positiveInteger)
    .option('--json', 'print a last line {"model","accuracy","images","ms"}')
    .action(async (model: string, _opts: unknown, cmd: Command) => print(await runEval(model, cmd.opts<EvalFlags>())));

  program
    .command('run')
    .description('run an .onnx model (or a zoo model) once on .npy inputs; write every output as DIR/<name>.npy and print its name, shape and file')
    .argument('<model>', `an .onnx file, or a zoo model: ${ZOO_NAMES.join(', ')}`)
    .option('-i, --input <[name=]file>', 'a graph input and its .npy file (float32; int64 for shape inputs); the name may be left out for a model with one input; repeat for each input', collectInput, [])
    .option('-o, --out <dir>', 'directory for the output .npy files (default: the current directory)')
    .option('--json', 'print one JSON line: {outputs: [{name, shape, file}], backend, threads (wasm), ms}')
    .option('--backend <name>', BACKEND_HELP, backendChoice, 'auto')
    .option('--threads <n>', 'wasm backend: threads to compute with (default: the cores, at most 4)', positiveInteger)
    .option('-s, --input-size <s>', 'zoo models: input height and width', positiveInteger)
    .option('-w, --weights <file>', 'zoo models: safetensors weights (default: seeded random weights)')
    .action(async (model: string, _opts: unknown, cmd: Command) => print(await runModel(model, cmd.opts<RunFlags>())));

  return program;
}
