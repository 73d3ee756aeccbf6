import { type CommandIO, EXIT_FAIL, EXIT_USAGE, InputError, UsageError } from './command.js';
import { printable, safeIO } from './output.js';
import { commands } from './registry.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length), 8);
  const lines = commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `Usage: agentguard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "agentguard <command> --help" for a command's options.\n`;
}

/** Codes of errors that mean "this input (a file, a key) cannot be used", not "the check failed". */
const UNUSABLE_INPUT =
  /^(?:ERR_IDENTITY_KEYSTORE_|ERR_IDENTITY_JSON_|ERR_IDENTITY_JWK_|ERR_VIEWER_|ERR_AUDIT_NOT_A_LOG$|ERR_AUDIT_LOG_LOCKED$)/;

/**
 * What went wrong outside a command's own verdict, as one line and an exit code:
 * a file that cannot be read or written (a Node system error: ENOENT, EACCES, EISDIR, ENOSPC…),
 * a key or JSON file that cannot be used, an {@link InputError}: exit 2; anything else: exit 1.
 */
function describeError(error: unknown): { code: number; text: string } {
  if (error instanceof InputError) {
    return {
      code: EXIT_USAGE,
      text: error.code === 'ERR_CLI_INPUT_UNUSABLE' ? error.message : `${error.code}: ${error.message}`,
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    syscall?: unknown;
    path?: unknown;
    message?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && /^E[A-Z0-9]+$/.test(code) && typeof e.syscall === 'string') {
    const where = typeof e.path === 'string' ? ` ${e.path}` : '';
    return { code: EXIT_USAGE, text: `cannot ${e.syscall}${where} (${code})` };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && UNUSABLE_INPUT.test(code)) return { code: EXIT_USAGE, text: `${code}: ${message}` };
  return { code: EXIT_FAIL, text: `${code === undefined ? '' : `${code}: `}${message}` };
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code.
 * The longest matching command words win, so `audit proof` is found before `audit`.
 * Every write goes through the output sanitiser (see `output.ts`); an error becomes one line
 * on stderr and exit 2 (usage, unusable input) or 1, never a stack trace.
 */
export async function main(argv: readonly string[], rawIO: CommandIO): Promise<number> {
  const io = safeIO(rawIO);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(help());
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  const match = [...commands]
    .filter((c) => c.words.every((w, i) => argv[i] === w))
    .sort((a, b) => b.words.length - a.words.length)[0];
  if (match === undefined) {
    io.stderr(`agentguard: unknown command "${printable(argv.slice(0, 2).join(' '))}"\n\n${help()}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(match.words.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${match.usage.trimEnd()}\n`);
    return 0;
  }
  const name = `agentguard ${match.words.join(' ')}`;
  try {
    return await match.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${name}: ${printable(error.message)}\n\n${match.usage.trimEnd()}\n`);
      return EXIT_USAGE;
    }
    const { code, text } = describeError(error);
    io.stderr(`${name}: ${printable(text)}\n`);
    return code;
  }
}
