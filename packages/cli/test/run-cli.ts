import { main } from '../src/main.js';

/** Runs the CLI in-process with captured output, for tests. */
export async function runCli(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: options.cwd ?? process.cwd(),
    isTTY: false,
    env: options.env ?? {},
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
