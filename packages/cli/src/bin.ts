#!/usr/bin/env node
import { EXIT_OK, EXIT_USAGE } from './command.js';
import { main } from './main.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

// A closed or full standard output is not a crash: a reader that stopped early (`| head -1`) gets
// nothing more and the exit code stays the verdict; any other write error (ENOSPC on /dev/full, EIO)
// is reported in one line and, since the output was lost, a success becomes exit 2.
let stdoutBroken = false;
let stderrBroken = false;
let writeFailure: string | undefined;
const settle = (code: number) => (writeFailure !== undefined && code === EXIT_OK ? EXIT_USAGE : code);
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (stdoutBroken) return;
  stdoutBroken = true;
  controller.abort();
  if (error.code !== 'EPIPE') {
    writeFailure = error.code ?? 'write error';
    if (!stderrBroken) process.stderr.write(`agentguard: cannot write to standard output (${writeFailure})\n`);
    if (process.exitCode !== undefined) process.exitCode = settle(Number(process.exitCode));
  }
});
process.stderr.on('error', () => {
  stderrBroken = true;
});

const write = (stream: NodeJS.WriteStream, broken: () => boolean) => (text: string) => {
  if (broken()) return;
  try {
    stream.write(text);
  } catch {
    // Reported through the stream's 'error' event.
  }
};

const code = await main(process.argv.slice(2), {
  stdout: write(process.stdout, () => stdoutBroken),
  stderr: write(process.stderr, () => stderrBroken),
  cwd: process.cwd(),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = settle(code);
