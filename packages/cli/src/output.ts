/**
 * The CLI's one output sanitiser. Text from logs, policies, credentials and
 * other inputs is untrusted: an ESC sequence in a member name can move the
 * cursor and paint a fake "OK" over a "FAIL" line, a bidi override can make a
 * line read differently than it is, a newline can forge a whole line. Every
 * write goes through {@link sanitizeOutput}; strings that belong on one line go
 * through {@link printable} first. Escapes are written as `\uXXXX`, which is
 * also a valid escape inside a JSON string, so JSON output stays valid JSON.
 */
import type { CommandIO, ControlSequence } from './command.js';

// C0 controls, DEL, C1 controls; bidi embeddings/overrides/isolates and marks; line/paragraph separators;
// lone surrogates (a high not followed by a low, a low not preceded by a high).
const UNSAFE_IN_LINE =
  /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
// The same, except the newline that separates lines.
const UNSAFE_IN_TEXT =
  /(?!\n)[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

const visible = (ch: string) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/**
 * Makes untrusted text safe to print on one line: every control character
 * (newline included), bidi control, line separator and lone surrogate becomes a
 * visible `\uXXXX`.
 * @param text - any string.
 * @returns the text with nothing a terminal would interpret.
 */
export function printable(text: string): string {
  return String(text).replace(UNSAFE_IN_LINE, visible);
}

/**
 * What the output layer applies to every write: as {@link printable}, but
 * newlines are kept (they separate the CLI's own lines).
 * @param text - a chunk of output.
 * @returns the chunk, safe for a terminal.
 */
export function sanitizeOutput(text: string): string {
  return String(text).replace(UNSAFE_IN_TEXT, visible);
}

const ESC = '\u001b';
const isControl = (s: string) =>
  s === '\r' || s === `${ESC}[K` || (s.startsWith(ESC) && /^\[[0-9]{1,3}m$/.test(s.slice(1)));

/**
 * Wraps a command's IO so that nothing written can carry a terminal control
 * sequence other than the CLI's own, given through `io.control`.
 * @param io - the raw IO.
 * @returns an IO whose `stdout`/`stderr` sanitise and whose `control` passes only the CLI's own sequences.
 */
export function safeIO(io: CommandIO): CommandIO {
  const raw = { stdout: io.stdout, stderr: io.stderr };
  return {
    ...io,
    stdout: (text) => raw.stdout(sanitizeOutput(text)),
    stderr: (text) => raw.stderr(sanitizeOutput(text)),
    control: (stream: 'stdout' | 'stderr', sequence: ControlSequence) => {
      if (isControl(sequence)) raw[stream](sequence);
    },
  };
}

/**
 * Writes one record line from `formatRecord(record, { color })`: the colour
 * codes it wraps the line in go through `io.control`, the line itself is sanitised.
 * @param io - the command's IO.
 * @param line - the formatted line (possibly wrapped in one SGR colour).
 */
export function writeRecordLine(io: CommandIO, line: string): void {
  const m = line.startsWith(ESC) && line.endsWith(`${ESC}[0m`) ? /^.\[([0-9]{1,3})m([\s\S]*).\[0m$/.exec(line) : null;
  if (m === null || io.control === undefined) {
    io.stdout(`${printable(m === null ? line : (m[2] as string))}\n`);
    return;
  }
  io.control('stdout', `\u001b[${Number(m[1])}m`);
  io.stdout(printable(m[2] as string));
  io.control('stdout', '\u001b[0m');
  io.stdout('\n');
}

/** One CSV cell: escaped like any output, a leading formula character neutralised, quoted when needed. */
export function csvField(value: unknown): string {
  let text = printable(value === undefined || value === null ? '' : String(value));
  // OWASP CSV injection: a cell a spreadsheet would run as a formula starts with one of these
  // (full-width forms included, which some spreadsheets fold to ASCII).
  if (/^[=+\-@\t\r\n|%\uff1d\uff0b\uff0d\uff20]/u.test(text)) text = `'${text}`;
  return /[",;\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
