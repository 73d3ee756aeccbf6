import type { TrustStore } from '@agentguard/attestation';
import { EventEmitter } from 'eventemitter3';
import type { IncidentErrorCode } from './errors.js';
import { readerOf, type StatusReader } from './fetch.js';
import { type Doorbell, type DoorbellOptions, listenDoorbell } from './redis.js';
import { createStatusVerifier, type StatusVerification, type VerifiedStatus } from './verify.js';

/** The status a guard applies: a verified status and when it was last confirmed current (core's `ControlView`). */
export interface ControlSnapshot extends VerifiedStatus {
  /** When the source last read and verified this status as the current one, epoch ms. */
  readonly confirmedAt: number;
}

/** Options of {@link createControlSource}. */
export interface ControlSourceOptions {
  /** The control channel (statuses for another channel are refused), e.g. `prod`. */
  readonly channel: string;
  /** The operator keys (did:key ids, or a `TrustStore`). Never put an agent's key here. */
  readonly trust: TrustStore | readonly string[];
  /**
   * Keys refused even when trusted: give the agent's own did:key and the guard's identity.
   * @default []
   */
  readonly excludedKeys?: readonly string[];
  /** Where the signed status is read: a file path, a `file:`, `http:` or `https:` URL, or a function. */
  readonly status: string | URL | (() => Promise<string | Uint8Array>);
  /**
   * How often the status is read, in milliseconds; each successful read confirms the status as fresh.
   * @default 500
   */
  readonly pollMs?: number;
  /**
   * A Redis doorbell: a message on the channel makes the source read the status at once.
   * @default none: polling only
   */
  readonly redis?: DoorbellOptions;
  /**
   * How long one read may take, in milliseconds.
   * @default 1_000
   */
  readonly readTimeoutMs?: number;
  /**
   * Tolerated clock difference between operator and guard.
   * @default 30_000
   */
  readonly clockSkewMs?: number;
  /**
   * Longest validity a status may claim (`expiresAt` minus `issuedAt`), so that an old status served to a guard that
   * (re)starts cannot stay valid for long. See `verifyStatus`.
   * @default 86_400_000 (24 h)
   */
  readonly maxValidityMs?: number;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** Events of a {@link ControlSource}. */
export interface ControlSourceEvents {
  /** A newer status was verified and adopted. */
  adopted: [status: VerifiedStatus];
  /** A status read was refused (forged, replayed, stale…) or could not be read. */
  rejected: [refusal: { readonly code: IncidentErrorCode; readonly reason: string }];
}

/** A control channel for `createGuard({ control: { source } })`. */
export interface ControlSource {
  /** The last verified status, with when it was last confirmed; undefined until one verified. */
  current(): ControlSnapshot | undefined;
  /** Reads and verifies the status now (coalesced with a read in flight). */
  refresh(): Promise<StatusVerification>;
  /** Resolves once a first status was verified (or rejects after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<ControlSnapshot>;
  readonly events: EventEmitter<ControlSourceEvents>;
  /**
   * Calls `listener` for every status refused or unreadable (the `rejected` event); a guard given this source
   * writes each as a `control.rejected` record. Returns the function that stops it.
   */
  onRejected(listener: (refusal: { readonly code: IncidentErrorCode; readonly reason: string }) => void): () => void;
  /** Stops polling and the doorbell. The last status stays readable (and goes stale). */
  close(): void;
}

/** Least time between two reads a doorbell triggers. */
const MIN_RING_GAP_MS = 100;

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) <= 0 || (value as number) > 2_147_483_647) {
    throw new RangeError(`"${name}" expected a positive integer of milliseconds, got ${String(value)}`);
  }
  return value as number;
}

/**
 * Creates a control source: polls the signed status document (file or URL), and reads it at once when the
 * Redis doorbell rings. Only statuses signed by a trusted operator key, for this channel, newer than the one
 * adopted and not expired are adopted; the same status read again confirms it as fresh.
 *
 * @param options - see {@link ControlSourceOptions}.
 * @returns a running {@link ControlSource}; `close()` it when done.
 * @throws TypeError / RangeError on misuse.
 * @example
 * ```ts
 * const source = createControlSource({
 *   channel: 'prod',
 *   trust: [operatorDid],
 *   excludedKeys: [agent.id],
 *   status: '/etc/agentguard/status.json',
 *   redis: { url: 'redis://127.0.0.1:6379' },
 * });
 * const ag = createGuard({ identity: agent, policy, audit, control: { source } });
 * ```
 */
export function createControlSource(options: ControlSourceOptions): ControlSource {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const verify = createStatusVerifier(options);
  const read: StatusReader = readerOf(options.status);
  const pollMs = positive('pollMs', options.pollMs, 500);
  const readTimeoutMs = positive('readTimeoutMs', options.readTimeoutMs, 1_000);
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new TypeError('"clock" expected a function');
  const events = new EventEmitter<ControlSourceEvents>();
  let snapshot: ControlSnapshot | undefined;
  let inFlight: Promise<StatusVerification> | undefined;
  let again = false;
  let closed = false;

  function reject(code: IncidentErrorCode, reason: string): StatusVerification {
    const refusal = { code, reason };
    try {
      events.emit('rejected', refusal);
    } catch {}
    return { ok: false, code, reason };
  }

  async function once(): Promise<StatusVerification> {
    let bytes: Uint8Array;
    try {
      // The deadline holds whatever the reader does with the signal: a read that never settles (a FIFO swapped in
      // at the status path, a custom reader that hangs) fails after readTimeoutMs, so the next read can happen.
      const signal = AbortSignal.timeout(readTimeoutMs);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no answer within ${readTimeoutMs} ms`)), readTimeoutMs);
      });
      try {
        bytes = await Promise.race([read(signal), deadline]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      return reject(
        'ERR_INCIDENT_SOURCE_FAILED',
        `status could not be read: ${(error as Error)?.message ?? String(error)}`,
      );
    }
    const now = clock();
    const known = snapshot === undefined ? undefined : { seq: snapshot.seq, hash: snapshot.hash };
    const result = verify(bytes, known, now);
    if (!result.ok) return reject(result.code, result.reason);
    snapshot = Object.freeze({ ...result.status, confirmedAt: now });
    if (result.fresh) {
      try {
        events.emit('adopted', result.status);
      } catch {}
    }
    return result;
  }

  function refresh(): Promise<StatusVerification> {
    if (inFlight !== undefined) {
      // A ring during a read: read once more after it, so a status written meanwhile is not missed.
      again = true;
      return inFlight;
    }
    inFlight = once().finally(() => {
      lastReadAt = Date.now();
      inFlight = undefined;
      if (again && !closed) {
        again = false;
        void refresh();
      } else if (rangDuringRead && !closed) {
        rangDuringRead = false;
        ring();
      }
    });
    return inFlight;
  }

  // The doorbell carries no authority, so whoever can publish on the channel must not drive reads without
  // bound: doorbell reads are at least MIN_RING_GAP_MS apart (a ring within the gap is served at its end).
  let lastReadAt = Number.NEGATIVE_INFINITY;
  let ringTimer: ReturnType<typeof setTimeout> | undefined;
  let rangDuringRead = false;
  function ring(): void {
    if (closed || ringTimer !== undefined) return;
    if (inFlight !== undefined) {
      rangDuringRead = true; // read once more after this one (a status written meanwhile), within the gap
      return;
    }
    const wait = lastReadAt + MIN_RING_GAP_MS - Date.now();
    if (wait <= 0) {
      void refresh();
      return;
    }
    ringTimer = setTimeout(() => {
      ringTimer = undefined;
      void refresh();
    }, wait);
    (ringTimer as { unref?: () => void }).unref?.();
  }

  const timer = setInterval(() => void refresh(), pollMs);
  timer.unref?.();
  const doorbell: Doorbell | undefined = options.redis === undefined ? undefined : listenDoorbell(options.redis, ring);
  void refresh();

  return Object.freeze({
    current: () => snapshot,
    refresh,
    events,
    onRejected(listener: (refusal: { readonly code: IncidentErrorCode; readonly reason: string }) => void) {
      if (typeof listener !== 'function') throw new TypeError('"listener" expected a function');
      events.on('rejected', listener);
      return () => {
        events.off('rejected', listener);
      };
    },
    ready(timeoutMs = 5_000): Promise<ControlSnapshot> {
      if (snapshot !== undefined) return Promise.resolve(snapshot);
      return new Promise<ControlSnapshot>((resolve, rejectReady) => {
        const t = setTimeout(() => {
          events.off('adopted', on);
          rejectReady(new Error(`no verified control status within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = () => {
          clearTimeout(t);
          events.off('adopted', on);
          if (snapshot !== undefined) resolve(snapshot);
        };
        events.on('adopted', on);
      });
    },
    close() {
      closed = true;
      clearInterval(timer);
      if (ringTimer !== undefined) clearTimeout(ringTimer);
      doorbell?.close();
    },
  });
}
