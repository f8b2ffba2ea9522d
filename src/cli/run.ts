/**
 * Runs one `webcnn` command and turns its outcome into an exit status:
 *   0  success (and --help, --version)
 *   1  an error webcnn reports on purpose (WebCnnError: no adapter, a shape error, …)
 *   2  a usage error (unknown command, model or flag, bad flag value)
 *   70 a bug: anything else, printed with its stack
 * Errors a user can act on print one line on stderr, `webcnn: <message>`, and no stack.
 */
import { CommanderError } from 'commander';
import { WebCnnError } from '../errors.js';
import { createProgram } from './program.js';
import type { CliOutput } from './output.js';
import { UsageError } from './usage_error.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_BUG = 70;

/** A message on one line: error text may span lines (commander's "Did you mean …?"). */
function oneLine(message: string): string {
  return message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}

export async function runCli(args: readonly string[], out: CliOutput): Promise<number> {
  try {
    await createProgram(out).parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, --version: already printed. `webcnn` alone: the help went to stderr.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      }
      out.stderr(`webcnn: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof WebCnnError) {
      out.stderr(`webcnn: ${oneLine(e.message)}\n`);
      return e instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
    }
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.stderr(`webcnn: internal error (a bug in webcnn, please report it):\n${detail}\n`);
    return EXIT_BUG;
  }
}
