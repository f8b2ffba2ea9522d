/**
 * The `webcnn` command (built to dist/cli.js, started by bin/webcnn.js). Runs one command, then
 * exits with its status once stdout and stderr are flushed: Dawn keeps native handles open,
 * so the process would not end by itself after using the GPU.
 */
import { runCli } from './run.js';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
