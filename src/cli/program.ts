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

/** Where commands write their result; help text goes to stdout, error text nowhere (run.ts reports it). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('It must be a positive integer.');
  return n;
}

export function createProgram(out: CliOutput): Command {
  const print = (text: string) => out.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command('webcnn')
    .description('A CNN engine on WebGPU: inspect the model zoo and the GPU.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help for a command')
    .helpCommand('help [command]', 'print help for a command')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr, outputError: () => undefined })
    .exitOverride();

  program
    .command('summary')
    .description("print a zoo model's layers (name, type, output shape, parameters), its parameter count and its peak activation memory; needs no GPU")
    .argument('<model>', `zoo model: ${ZOO_NAMES.join(', ')}`)
    .option('--json', 'print one JSON object on one line: {model, totalParams, trainableParams, layers: [{name, type, outputShape, params}], peakActivationBytes}')
    .option('-b, --batch <n>', 'batch size for output shapes and memory', positiveInteger, 1)
    .option('-s, --input-size <s>', "input height and width in pixels (default: the model's own)", positiveInteger)
    .action((model: string, _opts: unknown, cmd: Command) => print(runSummary(model, cmd.opts<SummaryFlags>())));

  program
    .command('info')
    .description('acquire the WebGPU device and print the adapter, runtime, features and key limits')
    .option('--json', 'print one JSON object on one line')
    .action(async (_opts: unknown, cmd: Command) => print(await runInfo(cmd.opts<InfoFlags>())));

  return program;
}
