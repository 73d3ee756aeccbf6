import type { EventRecord } from '@agentguard/audit';
import type { LogFacts } from './read.js';
import { callKey, dataOf, finding, type Measure, weakest } from './measure.js';
import type { Finding } from './types.js';

/** Words of a tag or label (split on `:`) that mark a tool as handling personal data: `pii`, `reads:pii`, `phi`. */
const PERSONAL_WORDS: ReadonlySet<string> = new Set(['pii', 'phi', 'personal', 'personal-data', 'health']);

/** Redaction detector kinds that find personal data (the others find secrets). */
const PERSONAL_KINDS: ReadonlySet<string> = new Set(['email', 'phone', 'us-ssn', 'iban', 'payment-card']);

const MARKERS = /\[REDACTED:([a-z0-9-]{1,40})(?::hmac-sha256:[0-9a-f]{16})?\]/g;

/** The record type of an erasure by crypto-shredding; read by its name, whether or not this version writes it. */
export const ERASURE_TYPE = 'subject.erased';

const personalLabel = (label: string) => label.split(':').some((w) => PERSONAL_WORDS.has(w.toLowerCase()));

/** The algorithm a value sealed for its data subject names (crypto-shredding: erased by destroying its key). */
const SEALED_ALG = 'A256GCM';

/**
 * Personal data in recorded arguments: the kinds the redactor replaced (its markers name the detector), and values
 * sealed for a data subject (`{ alg, kind, subject, … }`: sealed because they are personal), with their subjects'
 * pseudonymous references.
 */
function personalData(value: unknown): { kinds: string[]; subjects: string[] } {
  const kinds: string[] = [];
  const subjects: string[] = [];
  // Iterative: a record's depth is bounded by the log format, but a walk needs no stack for it.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      for (const m of v.matchAll(MARKERS)) if (PERSONAL_KINDS.has(m[1] as string)) kinds.push(m[1] as string);
    } else if (typeof v === 'object' && v !== null) {
      const sealed = v as { alg?: unknown; kind?: unknown; subject?: unknown };
      if (
        !Array.isArray(v) &&
        sealed.alg === SEALED_ALG &&
        typeof sealed.kind === 'string' &&
        typeof sealed.subject === 'string'
      ) {
        kinds.push(`sealed ${sealed.kind}`);
        subjects.push(sealed.subject);
        continue;
      }
      // One push per value: spreading a large array into push() would overflow the call stack.
      for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push(item);
    }
  }
  return { kinds, subjects };
}

interface ToolUse {
  labelled: boolean;
  labels: Set<string>;
  requests: number[];
  agents: Set<string>;
  sessions: Set<string>;
  kinds: Map<string, number>;
  subjects: Set<string>;
}

const sorted = (set: Iterable<string>) => [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Most names a finding lists (agents, rules, labels); the rest is counted, so a finding stays one line. */
const MAX_NAMES = 20;

/** Most tools listed one by one in Art. 30; the others are counted together. */
const MAX_TOOLS = 100;

/** Longest name shown, in code points: a name comes from the log and may be as long as a record. */
const MAX_NAME_CHARS = 128;

const short = (name: string) => {
  const chars = Array.from(name);
  return chars.length > MAX_NAME_CHARS ? `${chars.slice(0, MAX_NAME_CHARS).join('')}…` : name;
};

/** Sorted names, at most {@link MAX_NAMES}, each cut to {@link MAX_NAME_CHARS}, then `+N more`. */
function names(set: Iterable<string>): string {
  const all = sorted(set);
  const shown = all.slice(0, MAX_NAMES).map(short).join(', ');
  return all.length > MAX_NAMES ? `${shown}, +${all.length - MAX_NAMES} more` : shown;
}

/**
 * GDPR Art. 30: which tools processed personal data, for which agents, in how many sessions, allowed by which
 * policy rules. A tool counts when its tags or labels name personal data (`pii`, `reads:pii`, `phi`, …) or when
 * the redactor found personal data (e-mail, phone, SSN, IBAN, card number) in its recorded arguments; a tool
 * whose arguments held personal data but that is not labelled so contradicts the record of processing.
 */
export function processing(facts: LogFacts): Measure {
  const tools = new Map<string, ToolUse>();
  const rules = new Map<string, Set<string>>();
  for (const e of facts.events) {
    const rule = dataOf(e).decision?.ruleId;
    if (typeof rule === 'string' && (e.type === 'call.completed' || e.type === 'call.failed')) {
      const set = rules.get(callKey(e)) ?? new Set<string>();
      set.add(rule);
      rules.set(callKey(e), set);
    }
  }
  const ruleOf = new Map<string, Set<string>>();
  for (const e of facts.events) {
    if (e.type !== 'call.requested') continue;
    const data = dataOf(e);
    const marks = [...(data.labels ?? []), ...(data.tags ?? [])];
    const labelled = marks.some(personalLabel);
    const { kinds, subjects } = personalData(data.args);
    if (!labelled && kinds.length === 0) continue;
    const use = tools.get(e.tool) ?? {
      labelled: false,
      labels: new Set<string>(),
      requests: [],
      agents: new Set<string>(),
      sessions: new Set<string>(),
      kinds: new Map<string, number>(),
      subjects: new Set<string>(),
    };
    use.labelled ||= labelled;
    for (const m of marks) if (personalLabel(m)) use.labels.add(m);
    use.requests.push(e.seq);
    use.agents.add(data.agentName ?? e.agent);
    const session = data.session;
    if (session !== undefined) use.sessions.add(session);
    for (const k of kinds) use.kinds.set(k, (use.kinds.get(k) ?? 0) + 1);
    for (const subject of subjects) use.subjects.add(subject);
    tools.set(e.tool, use);
    const callRules = rules.get(callKey(e));
    if (callRules !== undefined) {
      const all = ruleOf.get(e.tool) ?? new Set<string>();
      for (const r of callRules) all.add(r);
      ruleOf.set(e.tool, all);
    }
  }
  const findings: Finding[] = [];
  let unlabelled = 0;
  let calls = 0;
  const rest = { labelled: [] as number[], unlabelled: [] as number[], tools: 0 };
  for (const name of sorted(tools.keys())) {
    const use = tools.get(name) as ToolUse;
    calls += use.requests.length;
    if (!use.labelled) unlabelled += 1;
    if (findings.length === MAX_TOOLS) {
      // Past the limit, tools are counted together, so a report stays small whatever the log holds.
      rest.tools += 1;
      for (const seq of use.requests) (use.labelled ? rest.labelled : rest.unlabelled).push(seq);
      continue;
    }
    const found = sorted(use.kinds.keys()).map((k) => `${k} (${use.kinds.get(k)})`);
    const purposes = sorted(ruleOf.get(name) ?? []);
    const parts = [
      `tool ${name}: ${use.requests.length} call(s)`,
      `agents: ${names(use.agents)}`,
      `sessions: ${use.sessions.size}`,
      `allowed by rules: ${purposes.length === 0 ? '(none recorded)' : names(purposes)}`,
      use.labelled ? `labelled: ${names(use.labels)}` : 'NOT labelled as handling personal data',
    ];
    if (found.length > 0) parts.push(`personal data found by redaction or sealed: ${found.join(', ')}`);
    if (use.subjects.size > 0) parts.push(`data subjects (pseudonymous): ${use.subjects.size}`);
    findings.push(
      use.labelled
        ? finding('found', parts.join('; '), use.requests)
        : finding('partly', parts.join('; '), [], use.requests),
    );
  }
  if (rest.tools > 0) {
    findings.push(
      finding(
        rest.unlabelled.length === 0 ? 'found' : 'partly',
        `${rest.tools} more tool(s) processed personal data; their calls not labelled so: ${rest.unlabelled.length}`,
        rest.labelled,
        rest.unlabelled,
      ),
    );
  }
  if (tools.size === 0) {
    findings.push(
      finding(
        'not found',
        'no processing of personal data recorded: no tool is labelled as handling it and the redactor found none in recorded arguments',
      ),
    );
  }
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: {
      'tools processing personal data': tools.size,
      'of them not labelled': unlabelled,
      'calls processing personal data': calls,
    },
    findings,
  };
}

/** GDPR Art. 17: erasures performed (records of type `subject.erased`, each naming the pseudonymous subject). */
export function erasures(facts: LogFacts): Measure {
  const erased: EventRecord[] = facts.events.filter((e) => (e.type as string) === ERASURE_TYPE);
  const subjects = new Set<string>();
  const unnamed: number[] = [];
  for (const e of erased) {
    const subject = dataOf(e).subject;
    if (subject === undefined) unnamed.push(e.seq);
    else subjects.add(subject);
  }
  const findings: Finding[] =
    erased.length === 0
      ? [finding('not found', 'no erasures recorded')]
      : [
          finding(
            unnamed.length === 0 ? 'found' : 'partly',
            `erasures recorded: ${erased.length}, for ${subjects.size} pseudonymous subject(s)${unnamed.length > 0 ? `; ${unnamed.length} name no subject` : ''}`,
            erased.filter((e) => !unnamed.includes(e.seq)).map((e) => e.seq),
            unnamed,
          ),
        ];
  return {
    status: weakest(findings.map((f) => f.status)),
    measured: { erasures: erased.length, subjects: subjects.size },
    findings,
  };
}
