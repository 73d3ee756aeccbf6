import type { InputErrorCode } from './errors.js';

/** What a command may touch: injected so commands are testable without a process. */
export interface CommandIO {
  /** Writes to standard output (no newline added). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (no newline added). */
  readonly stderr: (text: string) => void;
  /** Working directory that relative paths resolve against. */
  readonly cwd: string;
  /** Whether standard output is a terminal (colour, progress). */
  readonly isTTY: boolean;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the user interrupts (Ctrl-C); long-running commands stop on it. */
  readonly signal: AbortSignal;
  /**
   * Writes one of the CLI's own terminal control sequences (colour, clearing a progress line),
   * which the output layer would otherwise escape. Only ever given constants, never text from an input.
   * @default absent: the sequence is dropped
   */
  readonly control?: (stream: 'stdout' | 'stderr', sequence: ControlSequence) => void;
}

/** The only terminal control sequences the CLI itself writes: SGR colours, erase-line, carriage return. */
export type ControlSequence = `\u001b[${number}m` | '\r' | '\u001b[K';

/** Exit codes: 0 success, 1 a check failed (bad log, denied), 2 usage error or unusable input. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** A sub-command: parses its own `argv` (everything after the command words) and returns an exit code. */
export interface Command {
  /** The words that select it, e.g. `['verify']` or `['audit', 'proof']`. */
  readonly words: readonly string[];
  /** One line for `agentguard --help`. */
  readonly summary: string;
  /** Full usage text for `agentguard <words> --help`. */
  readonly usage: string;
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

/** A usage error: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type { InputErrorCode } from './errors.js';

/** An input the command cannot use (unreadable, empty, too large, not what it should be): printed alone, exit 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** Stable code; printed before the message when it is not the generic `ERR_CLI_INPUT_UNUSABLE`. */
  readonly code: InputErrorCode;

  constructor(message: string, options: { readonly code?: InputErrorCode; readonly cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = options.code ?? 'ERR_CLI_INPUT_UNUSABLE';
  }
}
