import type { Command } from '../command.js';
import { removing, WRITE_USAGE, writeNext } from './incident-common.js';

/** `agentguard incident resume` */
export const incidentResumeCommand: Command = {
  words: ['incident', 'resume'],
  summary: 'Lift the measures on a scope, or all of them (operator-signed)',
  usage: `Usage: agentguard incident resume [--all] ${WRITE_USAGE}\n\nWrites the next signed status without the measures on each --scope (or without any,\nwith --all). Also renews the status's validity: run it with the same scopes to re-sign.\n`,
  run: (argv, io) => writeNext(argv, io, removing),
};
