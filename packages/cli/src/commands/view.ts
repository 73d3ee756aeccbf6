import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { serveViewer, type ViewerServer } from '@agentguard/viewer/serve';
import { parseArgs } from '../args.js';
import { type Command, type CommandIO, EXIT_OK, InputError, UsageError } from '../command.js';
import { printable } from '../output.js';
import { onePositional, parseCount, parseTrust } from './audit-common.js';
import { logTrust, TRUST_FILE_USAGE } from '../trust-file.js';

const usage = `Usage: agentguard view <log> [--trust <did:key>]... [--log-key <did:key>]...
         [--trust-file <path>] [--checkpoint <file>] [--port <n>] [--no-open]

Serves the audit log viewer and one log file on 127.0.0.1, prints the page's
URL and opens it in your browser. The page verifies the log in the browser
with the verifier "agentguard verify" uses (same verdict, line, code and
reason) and shows each agent's calls. The server listens on loopback only,
answers only its own random path, and only reads the log. Ctrl-C stops it.

Options:
  --trust <did:key>    a key whose signatures anchor the log (repeatable), as
                       for "agentguard verify"
  --log-key <did:key>  a key of the log itself (repeatable): trusted, and only
                       its checkpoints count, as for "agentguard verify"
${TRUST_FILE_USAGE}
  --checkpoint <file>  a signed checkpoint kept elsewhere that the log must
                       still extend, as for "agentguard verify"
  --port <n>           the port on 127.0.0.1 (default: any free port)
  --no-open            print the URL only; do not start a browser

Exit codes: 0 stopped; 2 usage error, or a log, checkpoint or viewer page that
cannot be used, or a port that cannot be listened on.
`;

/** The program and arguments that open `url` in the default browser on `platform` (never through a shell). */
export function browserCommand(url: string, platform: NodeJS.Platform = process.platform): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/**
 * Starts the default browser on `url` and forgets it: detached, no stdio, no shell; a missing opener
 * (no xdg-open on a server) is ignored, since the URL is printed anyway.
 */
export function openBrowser(url: string): void {
  const [program, args] = browserCommand(url);
  try {
    const child = spawn(program, args, { detached: true, stdio: 'ignore', shell: false, windowsHide: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser: the URL is on standard output.
  }
}

/** What {@link createViewCommand} may be given instead of the defaults (for tests). */
export interface ViewCommandOptions {
  /**
   * Path of the built viewer page.
   * @default the one `@agentguard/viewer` ships (dist/viewer.html)
   */
  readonly page?: string;
  /**
   * Opens a URL in a browser.
   * @default {@link openBrowser}
   */
  readonly open?: (url: string) => void;
}

/** Resolves once `signal` is aborted (at once if it already is). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    signal.addEventListener('abort', () => done(), { once: true });
  });
}

/** Errors of starting the server that mean "this input cannot be used": exit 2 with their code. */
function unusable(error: unknown, port: number): InputError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('ERR_VIEWER_')) return new InputError(`${code}: ${(error as Error).message}`);
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new InputError(`cannot listen on 127.0.0.1:${port} (${code})`);
  }
  return undefined;
}

/** The `view` command, with its page and browser opener replaceable (tests). */
export function createViewCommand(options: ViewCommandOptions = {}): Command {
  const open = options.open ?? openBrowser;
  return {
    words: ['view'],
    summary: 'Open an audit log in the browser viewer, verified there (served on 127.0.0.1)',
    usage,
    async run(argv: readonly string[], io: CommandIO) {
      const { values, positionals } = parseArgs(argv, {
        trust: { type: 'string', multiple: true },
        'log-key': { type: 'string', multiple: true },
        'trust-file': { type: 'string' },
        checkpoint: { type: 'string' },
        port: { type: 'string' },
        'no-open': { type: 'boolean' },
      });
      // The same keys, from the same options, as `agentguard verify`.
      const { trust, logKeys } = await logTrust(values, io, parseTrust);
      const path = resolve(io.cwd, onePositional(positionals));
      const port = parseCount(values.port, 'port') ?? 0;
      if (port > 65_535) throw new UsageError(`--port expects 0 to 65535, got ${port}`);
      const checkpoint = values.checkpoint === undefined ? undefined : resolve(io.cwd, values.checkpoint);
      let server: ViewerServer;
      try {
        server = await serveViewer(path, {
          port,
          ...(trust === undefined ? {} : { trust }),
          ...(logKeys.length === 0 ? {} : { logKeys }),
          ...(checkpoint === undefined ? {} : { checkpoint }),
          ...(options.page === undefined ? {} : { page: options.page }),
        });
      } catch (error) {
        throw unusable(error, port) ?? error;
      }
      try {
        io.stderr(`serving ${printable(path)} on 127.0.0.1; the page verifies it in your browser. Ctrl-C stops.\n`);
        io.stdout(`${server.url}\n`);
        if (values['no-open'] !== true) open(server.url);
        await aborted(io.signal);
      } finally {
        await server.close();
      }
      return EXIT_OK;
    },
  };
}

/** `agentguard view <log> [--trust <did:key>]… [--log-key <did:key>]… [--trust-file <path>] [--checkpoint <file>] [--port <n>] [--no-open]` */
export const viewCommand: Command = createViewCommand();
