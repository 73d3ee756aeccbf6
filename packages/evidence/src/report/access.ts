import type { EventRecord } from '@agentguard/audit';
import type { LogFacts } from './read.js';
import { dataOf, finding, signedByAgent, type Measure, percent, shareStatus, weakest } from './measure.js';
import type { Finding } from './types.js';

/**
 * Whether each call request is authenticated by the calling agent ({@link signedByAgent}): its `call.requested`
 * record holds the agent's signed DSSE call envelope, or is signed by the agent itself; or it is marked
 * `batched` (throughput mode: only the log key vouches for the record). Refusals for a failed envelope or
 * credential are counted too.
 */
export function authentication(facts: LogFacts): Measure {
  const requests = facts.events.filter((e) => e.type === 'call.requested');
  const signed = requests.filter(signedByAgent);
  const signedSeqs = new Set(signed.map((e) => e.seq));
  const unsigned = requests.filter((e) => !signedSeqs.has(e.seq));
  const batched = unsigned.filter((e) => dataOf(e).signing === 'batched');
  const refused = facts.events.filter(
    (e) => e.type === 'call.denied' && (dataOf(e).envelopeCode !== undefined || dataOf(e).credentialCode !== undefined),
  );
  const findings: Finding[] = [
    finding(
      shareStatus(signed.length, requests.length),
      requests.length === 0
        ? 'no call request recorded: no authentication to show'
        : `call requests signed by the calling agent (its call envelope or the record, verified): ${signed.length} of ${requests.length} (${percent(signed.length, requests.length)})${batched.length > 0 ? `; ${batched.length} batched, vouched for by the log key only` : ''}`,
      signed.map((e) => e.seq),
      unsigned.map((e) => e.seq),
    ),
  ];
  if (refused.length > 0) {
    findings.push(
      finding(
        'found',
        `calls refused for a failed envelope or credential: ${refused.length}`,
        refused.map((e) => e.seq),
      ),
    );
  }
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: {
      'call requests': requests.length,
      'signed by the agent': signed.length,
      batched: batched.length,
      'refused for authentication': refused.length,
      'share signed by the agent': percent(signed.length, requests.length),
    },
    findings,
  };
}

/** Whether each call that ran was allowed by a recorded policy decision (least privilege, deny by default). */
export function authorization(facts: LogFacts): Measure {
  const ran = facts.events.filter((e) => e.type === 'call.completed' || e.type === 'call.failed');
  const decided = (e: EventRecord) => {
    const effect = dataOf(e).decision?.effect;
    return effect === 'allow' || effect === 'require_approval';
  };
  const allowed = ran.filter(decided);
  const allowedSeqs = new Set(allowed.map((e) => e.seq));
  const monitorOnly = ran.filter((e) => dataOf(e).decision?.wouldDeny === true);
  const findings: Finding[] = [
    finding(
      shareStatus(allowed.length, ran.length),
      ran.length === 0
        ? 'no call ran: no authorization to show'
        : `calls that ran with a recorded policy decision allowing them: ${allowed.length} of ${ran.length} (${percent(allowed.length, ran.length)})`,
      allowed.map((e) => e.seq),
      ran.filter((e) => !allowedSeqs.has(e.seq)).map((e) => e.seq),
    ),
  ];
  if (monitorOnly.length > 0) {
    findings.push(
      finding(
        'partly',
        `calls that ran only because the policy was in monitor mode (it would have denied them): ${monitorOnly.length}`,
        [],
        monitorOnly.map((e) => e.seq),
      ),
    );
  }
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: {
      'calls that ran': ran.length,
      'allowed by a recorded decision': allowed.length,
      'allowed only in monitor mode': monitorOnly.length,
    },
    findings,
  };
}

/**
 * Changes to what runs: attestation records (tool definitions, policy and code digests compared with pins) and
 * policy replacements (`mode.changed`, each naming the policy hash before and after).
 */
export function changes(facts: LogFacts): Measure {
  const attestations = facts.events.filter((e) => e.type === 'attestation');
  const changed = attestations.filter((e) => {
    const c = dataOf(e).changes;
    return c !== undefined && c.length > 0;
  });
  const policy = facts.events.filter((e) => e.type === 'mode.changed');
  const hashed = (side: { readonly hash?: string } | undefined) => side?.hash !== undefined;
  const named = policy.filter((e) => hashed(dataOf(e).from) && hashed(dataOf(e).to));
  const namedSeqs = new Set(named.map((e) => e.seq));
  const findings: Finding[] = [
    attestations.length === 0
      ? finding('not found', 'no attestation record: what ran (tools, policy, code) was never attested in this log')
      : finding(
          'found',
          `attestations of what runs: ${attestations.length}; with differences from the pinned digests: ${changed.length}`,
          attestations.map((e) => e.seq),
        ),
  ];
  if (policy.length > 0) {
    findings.push(
      finding(
        named.length === policy.length ? 'found' : 'partly',
        `policy replacements recorded: ${policy.length}, ${named.length} naming the policy hash before and after`,
        named.map((e) => e.seq),
        policy.filter((e) => !namedSeqs.has(e.seq)).map((e) => e.seq),
      ),
    );
  }
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: {
      attestations: attestations.length,
      'attestations with differences': changed.length,
      'policy replacements': policy.length,
    },
    findings,
  };
}
