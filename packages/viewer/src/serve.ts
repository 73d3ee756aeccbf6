/**
 * `@agentguard/viewer/serve` (Node only): serves the viewer and one log on 127.0.0.1, for
 * `agentguard view <log>`. The page still verifies in the browser; the server only hands it bytes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { VerifyLogOptions } from '@agentguard/audit';
import { ViewerError } from './errors.js';

/** Options of {@link serveViewer}. */
export interface ServeViewerOptions {
  /**
   * The keys the page verifies the log against (as `agentguard verify --trust`): a `TrustStore`, or
   * did:keys as text. Read once, at the start, and passed in the URL.
   * @default none (checked but not anchored)
   */
  readonly trust?: VerifyLogOptions['trust'];
  /**
   * The log's own keys (as `agentguard verify --log-key`): only checkpoints signed by one of them count, and
   * they are trusted with `trust` (as the CLI does). Passed in the URL.
   * @default none (any trusted key may sign checkpoints)
   */
  readonly logKeys?: readonly string[];
  /**
   * Path of a witness checkpoint file the log must still extend (as `agentguard verify --checkpoint`).
   * @default none
   */
  readonly checkpoint?: string;
  /**
   * Port on 127.0.0.1.
   * @default 0 (any free port)
   */
  readonly port?: number;
  /**
   * Path of the built page.
   * @default the package's own dist/viewer.html
   */
  readonly page?: string;
}

/** A running viewer server. */
export interface ViewerServer {
  /** The page's URL, with a random path segment and the trusted keys: open it in a browser. */
  readonly url: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** The built page beside this module (dist/serve.js) or, from source, in dist/. */
export function viewerPagePath(): string {
  const beside = fileURLToPath(new URL('./viewer.html', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/viewer.html', import.meta.url));
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ViewerError('ERR_VIEWER_LOG_UNREADABLE', `cannot read the ${what} ${path}`, { cause });
  }
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/**
 * Serves the viewer page and the log at `http://127.0.0.1:<port>/<random>/`, for the browser to
 * verify. Only loopback is listened on; requests whose Host is not that address (DNS rebinding) and
 * paths without the random segment (other local pages guessing) get 404; the log is read afresh per
 * request and never changed.
 *
 * @param logPath - the log file.
 * @param options - see {@link ServeViewerOptions}.
 * @returns the {@link ViewerServer} once it listens.
 * @throws ViewerError `ERR_VIEWER_PAGE_MISSING` when the page was not built, `ERR_VIEWER_LOG_UNREADABLE`
 *   when the log or witness cannot be read; TypeError for a bad option.
 * @example
 * ```ts
 * const { url, close } = await serveViewer('audit.jsonl', { trust: [agentDid] });
 * console.log(`open ${url}`); // then: await close();
 * ```
 */
export async function serveViewer(logPath: string, options: ServeViewerOptions = {}): Promise<ViewerServer> {
  if (typeof logPath !== 'string' || logPath === '') throw new TypeError('"logPath" expected a file path');
  const given: unknown = options.trust ?? [];
  const trust: unknown =
    !Array.isArray(given) && typeof (given as { list?: unknown } | null)?.list === 'function'
      ? (given as { list(): unknown }).list()
      : given;
  if (!Array.isArray(trust) || !trust.every((t) => typeof t === 'string' && t.startsWith('did:key:'))) {
    throw new TypeError('"trust" expected a TrustStore or an array of did:key strings');
  }
  const logKeys: unknown = options.logKeys ?? [];
  if (!Array.isArray(logKeys) || !logKeys.every((t) => typeof t === 'string' && t.startsWith('did:key:'))) {
    throw new TypeError('"logKeys" expected an array of did:key strings');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError('"port" expected 0 to 65535');
  const pagePath = options.page ?? viewerPagePath();
  if (!existsSync(pagePath)) {
    throw new ViewerError('ERR_VIEWER_PAGE_MISSING', `the viewer page ${pagePath} is missing: build the package`);
  }
  const page = await readFile(pagePath);
  await read(logPath, 'log');
  const witness = options.checkpoint === undefined ? undefined : await read(options.checkpoint, 'witness checkpoint');
  const token = randomBytes(16).toString('hex');
  let host = '';

  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string) => {
    res.writeHead(status, { ...HEADERS, 'content-type': type });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || req.headers.host !== host) return send(res, 404, 'text/plain', 'not found\n');
    const path = (req.url ?? '').split('?')[0];
    if (path === `/${token}/`) return send(res, 200, 'text/html; charset=utf-8', page);
    if (path === `/${token}/log.jsonl`) return send(res, 200, 'application/octet-stream', await read(logPath, 'log'));
    if (path === `/${token}/witness.txt` && witness !== undefined) return send(res, 200, 'text/plain', witness);
    return send(res, 404, 'text/plain', 'not found\n');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, 'text/plain', 'could not read the log\n'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  host = `127.0.0.1:${address.port}`;
  // Log keys are trusted keys too: the verifier counts a checkpoint only by a key it trusts.
  const trusted = [...new Set([...(trust as string[]), ...(logKeys as string[])])];
  const params = [
    ...trusted.map((t) => `trust=${encodeURIComponent(t)}`),
    ...(logKeys as string[]).map((t) => `logKey=${encodeURIComponent(t)}`),
  ];
  const query = params.length === 0 ? '' : `?${params.join('&')}`;
  return {
    url: `http://${host}/${token}/${query}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
