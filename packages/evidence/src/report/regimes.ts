import { authentication, authorization, changes } from './access.js';
import { assessments } from './assessments.js';
import { loggingActivity, recordElements } from './activity.js';
import { erasures, processing } from './gdpr.js';
import { integrity } from './integrity.js';
import type { Measure } from './measure.js';
import type { LogFacts } from './read.js';
import { retention, type RotationSettings } from './retention.js';
import type { ReportRegime } from './types.js';

/** What a control is computed from besides the log. */
export interface ControlContext {
  readonly rotation?: RotationSettings;
}

/** One control of a regime: its id, title, what computes it, and what a log cannot show about it. */
export interface ControlDefinition {
  readonly id: string;
  readonly title: string;
  readonly measure: (facts: LogFacts, context: ControlContext) => Measure;
  readonly limits: readonly string[];
}

const OUTSIDE =
  'Only calls that went through a guard are logged: a tool called around the guard leaves no record, and no log can show what was never written to it.';
const INTEGRITY_LIMIT =
  'Verification proves the records were not changed after signing; it cannot prove a signer did not lie when signing, nor that a key was not stolen.';
const TAIL_LIMIT =
  'A removed tail is caught only up to the last checkpoint kept elsewhere (pass one with --checkpoint); a log deleted whole leaves nothing to verify.';

const ASSESS_LIMIT =
  'An assessment record shows that an assessment ran and what it found, by the digest of its report; the report itself, and whether its findings were fixed, are kept outside the log.';

const rotation = (c: ControlContext) => (c.rotation === undefined ? {} : { rotation: c.rotation });

/** The controls of each regime, in report order. */
export const CONTROLS: Readonly<Record<ReportRegime, readonly ControlDefinition[]>> = {
  'pci-dss-4': [
    {
      id: 'pci-dss-4/10.2.1',
      title: 'Audit logs are enabled and active: which event kinds are logged',
      measure: (f) => loggingActivity(f),
      limits: [
        OUTSIDE,
        'The absence of a kind (no refusal, no policy change) cannot tell whether none happened or none was logged.',
        'Access to the audit logs themselves (10.2.1.3) and changes to identification credentials (10.2.1.5) happen outside the guard and are not in this log.',
      ],
    },
    {
      id: 'pci-dss-4/10.2.2',
      title: 'Each record carries user or agent id, event type, time, success or failure, origin and affected resource',
      measure: (f) => recordElements(f),
      limits: [
        'The agent id is a did:key: who operates the agent (a person, a team) is not in the log unless its name says so.',
        "Origin is the signing key (for a call request, the agent's own signature: its call envelope, or the record's), not a network address.",
      ],
    },
    {
      id: 'pci-dss-4/10.3',
      title: 'Audit logs are protected from modification: integrity by full verification',
      measure: (f) => integrity(f),
      limits: [
        INTEGRITY_LIMIT,
        TAIL_LIMIT,
        'Who can read or delete the files (10.3.1, 10.3.2) is set by the file system, not shown by the log.',
      ],
    },
    {
      id: 'pci-dss-4/10.5.1',
      title: 'Audit log history is retained for at least 12 months, the last three immediately available',
      measure: (f, c) => retention(f, { months: 12, immediateMonths: 3, ...rotation(c) }),
      limits: [
        'Only the files given are seen: off-site backups and archives are not, so history kept there is not counted.',
        'A log cannot show what came before its first record: a log restarted from scratch looks complete.',
      ],
    },
  ],
  hipaa: [
    {
      id: 'hipaa/164.312(b)',
      title: 'Audit controls: activity in systems that use ePHI is recorded and can be examined',
      measure: (f) => loggingActivity(f),
      limits: [OUTSIDE, 'Which tools touch ePHI is known only from their tags and labels.'],
    },
    {
      id: 'hipaa/164.312(c)(1)',
      title: 'Integrity: the record of activity is not altered, and results are bound by digest',
      measure: (f) => integrity(f, { results: true }),
      limits: [INTEGRITY_LIMIT, TAIL_LIMIT, 'The integrity of ePHI stored by the tools themselves is outside the log.'],
    },
    {
      id: 'hipaa/164.312(d)',
      title: 'Person or entity authentication: each call request is signed by the calling agent',
      measure: (f) => authentication(f),
      limits: [
        'A signature shows which key made the call, not which person controlled the key.',
        'Batched (throughput-mode) requests are vouched for by the log key only.',
      ],
    },
    {
      id: 'hipaa/164.308(a)(8)',
      title: 'Evaluation: periodic technical evaluations of the deployment (security assessments) are recorded',
      measure: (f) => assessments(f),
      limits: [ASSESS_LIMIT, 'An evaluation also covers non-technical safeguards, which no log shows.'],
    },
  ],
  gdpr: [
    {
      id: 'gdpr/art-30',
      title: 'Records of processing activities: tools that processed personal data, for which agents and rules',
      measure: (f) => processing(f),
      limits: [
        'Purposes, legal bases, categories of data subjects and recipients, transfers and time limits are not in a log; the rules that allowed the calls stand in for the purpose.',
        'Personal data is seen only where tools are labelled or the redactor recognised it; names, addresses and free text it cannot recognise are not counted.',
      ],
    },
    {
      id: 'gdpr/art-17',
      title: 'Right to erasure: erasures performed',
      measure: (f) => erasures(f),
      limits: [
        'Requests that were not acted upon leave no record.',
        "An erasure record shows a key was destroyed; copies of the data outside the log (backups, exports, the tools' own stores) are not seen.",
      ],
    },
  ],
  'eu-ai-act': [
    {
      id: 'eu-ai-act/art-12',
      title: 'Record-keeping: events are logged automatically over the lifetime of the system',
      measure: (f) => loggingActivity(f, { risks: true }),
      limits: [OUTSIDE, "The log records tool calls of the agent, not the model's inputs and outputs."],
    },
    {
      id: 'eu-ai-act/art-19',
      title: 'Automatically generated logs are kept for at least six months',
      measure: (f, c) => retention(f, { months: 6, ...rotation(c) }),
      limits: [
        'Only the files given are seen: off-site backups and archives are not.',
        'A log cannot show what came before its first record.',
      ],
    },
  ],
  soc2: [
    {
      id: 'soc2/CC4.1',
      title: 'Monitoring activities: separate evaluations (security assessments) of the deployment are recorded',
      measure: (f) => assessments(f),
      limits: [ASSESS_LIMIT],
    },
    {
      id: 'soc2/CC6.1',
      title: 'Logical access: calls are authenticated and allowed by a recorded policy decision',
      measure: (f) => {
        const a = authentication(f);
        const b = authorization(f);
        const findings = [...a.findings, ...b.findings];
        const rank = { 'not found': 0, partly: 1, found: 2 } as const;
        return {
          status: rank[a.status] <= rank[b.status] ? a.status : b.status,
          measured: { ...a.measured, ...b.measured },
          findings,
        };
      },
      limits: ['A signature shows which key made the call, not which person controlled the key.', OUTSIDE],
    },
    {
      id: 'soc2/CC7.2',
      title: 'System monitoring: the record of activity is intact and anomalies are recorded',
      measure: (f) => {
        const i = integrity(f);
        const a = loggingActivity(f, { risks: true });
        return {
          status: i.status,
          measured: { ...i.measured, ...a.measured },
          findings: [...i.findings, ...a.findings.slice(-1)],
        };
      },
      limits: [INTEGRITY_LIMIT, 'Anomalies the monitor was not configured to detect are not recorded.'],
    },
    {
      id: 'soc2/CC8.1',
      title: 'Change management: what runs is attested, and policy changes are recorded',
      measure: (f) => changes(f),
      limits: ['Attestation compares digests with pins: whether a change was approved is decided outside the log.'],
    },
  ],
};
