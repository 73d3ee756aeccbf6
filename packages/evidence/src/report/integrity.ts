import type { LogFacts } from './read.js';
import { dataOf, finding, type Measure, percent, shareStatus, weakest } from './measure.js';
import type { Finding } from './types.js';

/** Options of {@link integrity}. */
export interface IntegrityOptions {
  /** Also measure how many completed calls bind their result by digest. */
  readonly results?: boolean;
}

/**
 * The log's integrity by full verification: every record's hash, chain link and signature, the call envelopes,
 * the Merkle tree and every signed checkpoint; whether the signers are trusted; whether the tail is sealed by a
 * checkpoint (or proven to extend an external one).
 */
export function integrity(facts: LogFacts, options: IntegrityOptions = {}): Measure {
  const v = facts.verification;
  const all = facts.records.map((r) => r.seq);
  const findings: Finding[] = [];
  const measured: Record<string, number | string> = { 'records verified': v.records };
  if (!v.ok) {
    measured['first bad line'] = v.line;
    measured['failure code'] = v.code;
    findings.push(
      finding(
        'not found',
        v.line === 0
          ? `verification failed on the external checkpoint: ${v.code}: ${v.reason}`
          : `verification failed at line ${v.line} (seq ${v.line - 1}): ${v.code}: ${v.reason}; only the ${v.records} record(s) before it are read`,
        all,
        v.line === 0 ? [] : [v.line - 1],
      ),
    );
  } else {
    measured.checkpoints = v.checkpoints;
    measured.signers = v.signers.length;
    measured.root = v.root;
    measured.anchored = v.anchored ? 'yes' : 'no';
    measured.sealed = v.sealed ? 'yes' : 'no';
    findings.push(
      finding(
        'found',
        `all ${v.records} record(s) verify: hashes, chain, signatures, envelopes, ${v.checkpoints} checkpoint(s); root ${v.root}`,
        all,
      ),
    );
    findings.push(
      v.anchored
        ? finding('found', `every record is signed by a trusted key (${v.signers.length} signer(s))`, all)
        : finding('partly', 'no trusted key was given: the log is consistent, but anyone could have written it'),
    );
    const lastCheckpoint = [...facts.records].reverse().find((r) => r.type === 'checkpoint');
    const tail = facts.records.filter((r) => lastCheckpoint === undefined || r.seq > lastCheckpoint.seq);
    if (v.extends !== undefined) {
      findings.push(finding('found', `the log extends the external checkpoint of size ${v.extends}`, all));
    } else if (!v.sealed) {
      findings.push(
        finding(
          'partly',
          `${tail.length} record(s) after the last checkpoint: a removed tail would go unnoticed without an external checkpoint`,
          [],
          tail.map((r) => r.seq),
        ),
      );
    }
  }
  if (options.results === true) {
    const completed = facts.events.filter((e) => e.type === 'call.completed');
    const bound = completed.filter((e) => typeof dataOf(e).resultDigest === 'string');
    measured['share of results bound by digest'] = percent(bound.length, completed.length);
    const unbound = new Set(bound.map((e) => e.seq));
    findings.push(
      finding(
        completed.length === 0 ? 'not found' : shareStatus(bound.length, completed.length),
        completed.length === 0
          ? 'no completed call: no result is bound'
          : `results bound by digest: ${bound.length} of ${completed.length} completed call(s)`,
        bound.map((e) => e.seq),
        completed.filter((e) => !unbound.has(e.seq)).map((e) => e.seq),
      ),
    );
  }
  return { status: weakest(findings.map((f) => f.status)), measured, findings };
}
