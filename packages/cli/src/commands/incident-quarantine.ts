import type { Command } from '../command.js';
import { adding, WRITE_USAGE, writeNext } from './incident-common.js';

/** `agentguard incident quarantine` */
export const incidentQuarantineCommand: Command = {
  words: ['incident', 'quarantine'],
  summary: 'Quarantine an agent: read-only preset, parked approvals dropped (operator-signed)',
  usage: `Usage: agentguard incident quarantine ${WRITE_USAGE}\n\nWrites the next signed status with a quarantine measure on each --scope (usually\nagent:<did:key>): guards decide matching calls with the read-only preset and drop the\napprovals parked for them.\n`,
  run: (argv, io) => writeNext(argv, io, adding('quarantine')),
};
