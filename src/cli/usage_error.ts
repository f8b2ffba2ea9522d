/**
 * A mistake on the command line that the parser cannot see by itself (a model name that is
 * not in the zoo). A WebCnnError, so the CLI reports it as one line, without a stack.
 */
import { WebCnnError } from '../errors.js';

export class UsageError extends WebCnnError {}
