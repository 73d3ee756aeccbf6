import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AuditRecordSchema, formatRecord, RECORD_MAX_BYTES, RECORD_MAX_DEPTH } from '@agentguard/audit';
import { parseArgs } from '../args.js';
import { type Command, type CommandIO, EXIT_OK, InputError } from '../command.js';
import { parseJson } from '@agentguard/identity';
import { printable, writeRecordLine } from '../output.js';
import { onePositional, parseCount } from './audit-common.js';

const usage = `Usage: agentguard audit tail <log> [-n <count>] [--follow]

Prints the last records of a log, one readable line each. It displays; it does
not verify (use "agentguard verify" for that): lines that are not records are
flagged, never hidden.

Options:
  -n, --lines <count>  how many records to print first (default 10)
  -f, --follow         keep printing records as they are appended, until Ctrl-C
`;

const POLL_MS = 200;

function render(line: string, io: CommandIO): void {
  try {
    const parsed = AuditRecordSchema.safeParse(
      parseJson(line, { maxBytes: RECORD_MAX_BYTES, maxDepth: RECORD_MAX_DEPTH }),
    );
    if (parsed.success) {
      writeRecordLine(io, formatRecord(parsed.data, { color: io.isTTY }));
      return;
    }
  } catch {
    // Shown as not a record below.
  }
  io.stdout(`!! not a record: ${printable(line.slice(0, 120))}\n`);
}

/** `agentguard audit tail <log> [-n N] [--follow]` */
export const auditTailCommand: Command = {
  words: ['audit', 'tail'],
  summary: 'Print the last records of a log; --follow for new ones',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs(argv, {
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
    });
    const count = parseCount(values.lines, 'lines') ?? 10;
    const path = resolve(io.cwd, onePositional(positionals));
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      throw new InputError(`cannot read ${path} (${String((cause as { code?: unknown }).code ?? cause)})`);
    }
    try {
      let offset = 0;
      let pending = '';
      const readNew = async (): Promise<string[]> => {
        const { size } = await handle.stat();
        if (size < offset) {
          // The file was cut or replaced: start over rather than print garbage.
          offset = 0;
          pending = '';
          io.stderr(`${printable(path)} shrank; reading it again from the start\n`);
        }
        if (size === offset) return [];
        const buffer = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        offset += bytesRead;
        const text = pending + buffer.subarray(0, bytesRead).toString('utf8');
        const parts = text.split('\n');
        pending = parts.pop() ?? '';
        return parts.filter((l) => l.length > 0);
      };
      const initial = await readNew();
      for (const line of count === 0 ? [] : initial.slice(-count)) render(line, io);
      if (values.follow !== true) return EXIT_OK;
      while (!io.signal.aborted) {
        await new Promise<void>((done) => {
          const timer = setTimeout(done, POLL_MS);
          const stop = () => {
            clearTimeout(timer);
            done();
          };
          io.signal.addEventListener('abort', stop, { once: true });
        });
        for (const line of await readNew()) render(line, io);
      }
      return EXIT_OK;
    } finally {
      await handle.close();
    }
  },
};
