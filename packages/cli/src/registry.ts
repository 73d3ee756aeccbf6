import type { Command } from './command.js';
import { verifyCommand } from './commands/verify.js';

// Every command of the CLI, in the order `--help` lists them. Add one import and one entry per command.
export const commands: readonly Command[] = [verifyCommand];
