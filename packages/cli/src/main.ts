import { type CommandIO, EXIT_FAIL, EXIT_USAGE, UsageError } from './command.js';
import { commands } from './registry.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length), 8);
  const lines = commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `Usage: agentguard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "agentguard <command> --help" for a command's options.\n`;
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code.
 * The longest matching command words win, so `audit proof` is found before `audit`.
 */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(help());
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  const match = [...commands]
    .filter((c) => c.words.every((w, i) => argv[i] === w))
    .sort((a, b) => b.words.length - a.words.length)[0];
  if (match === undefined) {
    io.stderr(`agentguard: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(match.words.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${match.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await match.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`agentguard ${match.words.join(' ')}: ${error.message}\n\n${match.usage.trimEnd()}\n`);
      return EXIT_USAGE;
    }
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`agentguard ${match.words.join(' ')}: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    return EXIT_FAIL;
  }
}
