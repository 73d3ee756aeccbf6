import type { EventRecord } from '@agentguard/audit';
import type { LogFacts } from './read.js';
import { dataOf, finding, type Measure, weakest } from './measure.js';
import type { Finding } from './types.js';

/** The record type `agentguard assess --record` writes; read by its name, whether or not this version writes it. */
export const ASSESSMENT_TYPE = 'assessment';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/**
 * Security assessments performed (HIPAA §164.308(a)(8) evaluation, SOC 2 CC4.1): records of type `assessment`,
 * each naming the digest of its report and the worst severity it found. Found when at least one assessment is
 * recorded; an assessment that found critical or high findings is named (its findings were open then).
 */
export function assessments(facts: LogFacts): Measure {
  const runs: EventRecord[] = facts.events.filter((e) => (e.type as string) === ASSESSMENT_TYPE);
  if (runs.length === 0) {
    return {
      status: 'not found',
      measured: { assessments: 0 },
      findings: [finding('not found', 'no security assessment recorded (agentguard assess --record)')],
    };
  }
  const unnamed = runs.filter((r) => dataOf(r).reportDigest === undefined).map((r) => r.seq);
  const newest = runs.at(-1) as EventRecord;
  const newestWorst = dataOf(newest).worst;
  const findings: Finding[] = [
    finding(
      unnamed.length === 0 ? 'found' : 'partly',
      `security assessments recorded: ${runs.length}, the newest at ${newest.ts}${unnamed.length > 0 ? `; ${unnamed.length} name no report digest` : ''}`,
      runs.filter((r) => !unnamed.includes(r.seq)).map((r) => r.seq),
      unnamed,
    ),
  ];
  if (newestWorst === 'critical' || newestWorst === 'high') {
    findings.push(
      finding(
        'partly',
        `the newest assessment found ${newestWorst} findings; no later assessment shows them fixed`,
        [],
        [newest.seq],
      ),
    );
  }
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: {
      assessments: runs.length,
      'newest assessment': newest.ts,
      'newest worst severity':
        newestWorst !== undefined && [...SEVERITIES, 'none'].includes(newestWorst as 'none') ? newestWorst : 'unknown',
    },
    findings,
  };
}
