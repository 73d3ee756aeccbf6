import { type Command, type CommandIO, EXIT_USAGE, InputError, UsageError } from '../src/command.js';

/** Runs a command the way `main()` does (usage errors exit 2), with captured output. For tests. */
export async function runPolicyCommand(
  command: Command,
  argv: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd,
    isTTY: false,
    env: {},
    signal: new AbortController().signal,
  };
  try {
    return { code: await command.run(argv, io), stdout, stderr };
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError)
      return { code: EXIT_USAGE, stdout, stderr: error.message };
    throw error;
  }
}
