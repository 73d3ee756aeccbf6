import type { Command } from '../command.js';
import { adding, WRITE_USAGE, writeNext } from './incident-common.js';

/** `agentguard incident suspend` */
export const incidentSuspendCommand: Command = {
  words: ['incident', 'suspend'],
  summary: 'Suspend an agent, a tool, a tag or everything (operator-signed)',
  usage: `Usage: agentguard incident suspend ${WRITE_USAGE}\n\nWrites the next signed status with a suspend measure on each --scope: guards refuse\nevery matching call (ERR_GUARD_SUSPENDED) until it is resumed.\n`,
  run: (argv, io) => writeNext(argv, io, adding('suspend')),
};
