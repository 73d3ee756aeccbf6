/**
 * Runs the `agentguard` CLI in-process with captured output, for the adversarial suite (the CLI package has
 * no importable entry). `signal` defaults to one that never aborts.
 */
import { main } from '../../cli/src/main.js';

export async function runCli(
  argv: readonly string[],
  options: { cwd: string; isTTY?: boolean; signal?: AbortSignal },
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
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    env: {},
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}
