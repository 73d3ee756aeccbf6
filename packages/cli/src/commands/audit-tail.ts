import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatRecord, parseAuditRecord, RECORD_MAX_BYTES, RECORD_MAX_DEPTH } from '@agentguard/audit';
import { parseArgs } from '../args.js';
import { type Command, type CommandIO, EXIT_FAIL, EXIT_OK, InputError } from '../command.js';
import { parseJson } from '@agentguard/statement';
import { printable, writeRecordLine } from '../output.js';
import { onePositional, parseCount } from './audit-common.js';

const usage = `Usage: agentguard audit tail <log> [-n <count>] [--follow]

Prints the last records of a log, one readable line each. It displays; it does
not verify (use "agentguard verify" for that): lines that are not records are
flagged with their line number, never hidden, and so is a line that is not
valid UTF-8 (a changed byte) or is larger than a record can be.

Options:
  -n, --lines <count>  how many records to print first (default 10)
  -f, --follow         keep printing records as they are appended, until Ctrl-C

Exit codes: 0 every line printed is a record; 1 a line printed was flagged;
2 usage error, or the log cannot be read.
`;

const POLL_MS = 200;
const CHUNK_BYTES = 1 << 20;
const LF = 0x0a;
// The same strict decoding as the audit library's readers: invalid UTF-8 is an error (never U+FFFD, which
// would let a changed byte display as the original text) and a byte-order mark is kept.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** The audit library's words for a line it refuses before parsing (as `agentguard verify` reports them). */
export const TAIL_LINE_NOT_UTF8 = 'line is not valid UTF-8: a byte was changed, or this is not a log';
export const TAIL_LINE_TOO_LARGE = `not a JSON record: JSON text larger than ${RECORD_MAX_BYTES} bytes`;

/** One complete line of the log: its 1-based number and bytes (undefined when it was too large to keep). */
interface Line {
  readonly n: number;
  readonly bytes: Uint8Array | undefined;
}

/** Prints one line as a record, or flags it; returns whether it was flagged. */
function render({ n, bytes }: Line, io: CommandIO): boolean {
  if (bytes === undefined) {
    io.stdout(`!! line ${n}: ERR_AUDIT_RECORD_MALFORMED: ${TAIL_LINE_TOO_LARGE}\n`);
    return true;
  }
  let line: string;
  try {
    line = decoder.decode(bytes);
  } catch {
    io.stdout(`!! line ${n}: ERR_AUDIT_RECORD_MALFORMED: ${TAIL_LINE_NOT_UTF8}\n`);
    return true;
  }
  try {
    const parsed = parseAuditRecord(parseJson(line, { maxBytes: RECORD_MAX_BYTES, maxDepth: RECORD_MAX_DEPTH }));
    if (parsed.ok) {
      writeRecordLine(io, formatRecord(parsed.record, { color: io.isTTY }));
      return false;
    }
  } catch {
    // Shown as not a record below.
  }
  io.stdout(`!! line ${n}: not a record: ${printable(line.slice(0, 120))}\n`);
  return true;
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
    let flagged = false;
    const show = (line: Line) => {
      if (render(line, io)) flagged = true;
    };
    try {
      let offset = 0;
      let lines = 0;
      // The line being assembled, as bytes: a read may end mid-line and mid-character. Past the record
      // bound it is dropped (and the line flagged when its newline comes), so memory stays bounded.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let oversized = false;
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const readNew = async (emit: (line: Line) => void): Promise<void> => {
        const { size } = await handle.stat();
        if (size < offset) {
          // The file was cut or replaced: start over rather than print garbage.
          offset = 0;
          lines = 0;
          pending = [];
          pendingBytes = 0;
          oversized = false;
          io.stderr(`${printable(path)} shrank; reading it again from the start\n`);
        }
        while (offset < size) {
          const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - offset), offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          const data = chunk.subarray(0, bytesRead);
          let from = 0;
          for (let nl = data.indexOf(LF); nl !== -1; nl = data.indexOf(LF, from)) {
            const piece = data.subarray(from, nl);
            from = nl + 1;
            lines += 1;
            const tooLarge = oversized || pendingBytes + piece.length > RECORD_MAX_BYTES;
            const bytes = tooLarge ? undefined : Buffer.concat([...pending, piece]);
            pending = [];
            pendingBytes = 0;
            oversized = false;
            // Empty lines are skipped, as before (a record line is never empty).
            if (bytes === undefined || bytes.length > 0) emit({ n: lines, bytes });
          }
          const rest = data.subarray(from);
          if (oversized || pendingBytes + rest.length > RECORD_MAX_BYTES) {
            oversized = true;
            pending = [];
            pendingBytes = 0;
          } else if (rest.length > 0) {
            // A copy: the chunk buffer is reused by the next read.
            pending.push(Buffer.from(rest));
            pendingBytes += rest.length;
          }
        }
      };
      // The last `count` lines only (a long log is read in chunks, never held whole).
      const ring: Line[] = [];
      let seen = 0;
      await readNew((line) => {
        if (count === 0) return;
        ring[seen % count] = line;
        seen += 1;
      });
      for (let i = Math.max(seen - count, 0); i < seen; i++) show(ring[i % count] as Line);
      if (values.follow !== true) return flagged ? EXIT_FAIL : EXIT_OK;
      while (!io.signal.aborted) {
        await new Promise<void>((done) => {
          const stop = () => {
            clearTimeout(timer);
            io.signal.removeEventListener('abort', stop);
            done();
          };
          const timer = setTimeout(stop, POLL_MS);
          io.signal.addEventListener('abort', stop, { once: true });
        });
        await readNew(show);
      }
      return flagged ? EXIT_FAIL : EXIT_OK;
    } finally {
      await handle.close();
    }
  },
};
