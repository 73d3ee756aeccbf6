import { type ParseArgsConfig, parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with strict checking, turning its errors into {@link UsageError}. */
export function parseArgs<T extends Options>(
  argv: readonly string[],
  options: T,
): ReturnType<typeof nodeParseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return nodeParseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause));
  }
}
