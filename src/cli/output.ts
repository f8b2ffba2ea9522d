/**
 * Where the CLI writes: the streams a command is given, so that tests can capture them. Its
 * own file so that the grammar (program.ts) and the commands it calls both read it.
 */

/** Where commands write their result; help text goes to stdout, error text nowhere (run.ts reports it). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}
