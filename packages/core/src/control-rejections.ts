import type { AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { GuardControl } from './control.js';
import type { TextCleaner } from './text.js';

/** At most this many `control.rejected` records per window; the rest are counted in the next one. */
const PER_WINDOW = 10;
const WINDOW_MS = 10_000;
/** The same refusal (code and reason) is written again at most once per this long while it repeats. */
const REPEAT_MS = 60_000;

/**
 * @internal Writes a `control.rejected` record for each status the control source refused (forged, replayed,
 * stale, another channel) or could not read, when the source reports them (`onRejected`): an attempt to forge
 * a resume is then in the log, not only in the source's events. A channel that repeats one refusal at every poll
 * writes it once a minute; at most 10 records per 10 s; what is not written is counted (`suppressed`) in the
 * next record. A record that cannot be written is dropped: refusals decide nothing, the status in force does.
 *
 * @returns the function that stops recording (the guard's `close()`).
 */
export function recordRejections(
  source: GuardControl,
  io: { readonly audit: AuditLog; readonly identity: Signer; readonly text: TextCleaner; readonly clock: () => number },
): () => void {
  try {
    if (typeof source.onRejected !== 'function') return () => undefined;
  } catch {
    return () => undefined; // a hostile getter: nothing to record from
  }
  let last: string | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let windowStart = Number.NEGATIVE_INFINITY;
  let inWindow = 0;
  const listener = (rejection: unknown): void => {
    const r = rejection as { code?: unknown; reason?: unknown } | null | undefined;
    const code = typeof r?.code === 'string' ? io.text.clean(r.code, 64) : 'unknown';
    const reason = typeof r?.reason === 'string' ? io.text.clean(r.reason) : 'no reason given';
    const key = `${code}\n${reason}`;
    const now = io.clock();
    if (!(now - windowStart < WINDOW_MS)) {
      windowStart = now;
      inWindow = 0;
    }
    if ((key === last && now - lastAt < REPEAT_MS) || inWindow >= PER_WINDOW) {
      suppressed++;
      return;
    }
    last = key;
    lastAt = now;
    inWindow++;
    const data = { code, reason, suppressed };
    suppressed = 0;
    io.audit
      .append(
        {
          type: 'control.rejected',
          callId: `control-rejected:${crypto.randomUUID()}`,
          agent: io.identity.id,
          tool: '*',
          data,
        },
        io.identity,
      )
      .catch(() => undefined);
  };
  let off: unknown;
  try {
    off = source.onRejected(listener);
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      if (typeof off === 'function') off();
    } catch {
      // a source that fails to unsubscribe cannot be helped; the guard is closing
    }
  };
}
