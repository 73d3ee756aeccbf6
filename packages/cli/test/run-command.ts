import type { Command, CommandIO } from '../src/command.js';
import { InputError, UsageError } from '../src/command.js';

/** Runs one command as main() would (usage error: 2, other error: 1), with captured output. Test helper. */
export async function runCommand(
  command: Command,
  argv: readonly string[],
  cwd: string,
  options: { signal?: AbortSignal; onStdout?: (all: string) => void } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (t) => {
      stdout += t;
      options.onStdout?.(stdout);
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd,
    isTTY: false,
    env: {},
    signal: options.signal ?? new AbortController().signal,
  };
  try {
    return { code: await command.run(argv, io), stdout, stderr };
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError)
      return { code: 2, stdout, stderr: `${stderr}${error.message}` };
    const code = (error as { code?: unknown }).code;
    return { code: 1, stdout, stderr: `${stderr}${String(code)}: ${(error as Error).message}` };
  }
}
