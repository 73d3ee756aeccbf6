import type { StandardSchemaWithJSON } from '@mastra/core/schema';

/** What a guarded Mastra tool suspends with when the policy sends its call to a human. */
export interface MastraSuspend {
  readonly agentguard: 'approval-required';
  /** The model's tool call id (`toolCallId` to resume with). */
  readonly callId: string;
  readonly tool: string;
  /** The arguments the guard decided on (what an approval binds, and what the tool will run with). */
  readonly args: unknown;
  /** Why the policy asks for a human. */
  readonly reason: string;
  readonly ruleId: string | null;
}

/** What the app resumes a suspended guarded call with: `agent.resumeGenerate(answer, { runId, toolCallId })`. */
export interface MastraResume {
  /** `true` runs the call once the adapter's `approve` signed an approval the guard verifies; `false` refuses it. */
  readonly approved: boolean;
  /** Why the human refused (recorded, and in the Denial the model sees). */
  readonly reason?: string;
}

/**
 * @internal Reads resume data, failing closed: anything but `{ approved: true }` counts as a refusal once
 * resume data is present, so a malformed answer never runs a call that needed a human.
 */
export function parseResume(value: unknown): MastraResume | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as { approved?: unknown; reason?: unknown };
  const approved = typeof value === 'object' && v.approved === true;
  const reason = typeof v.reason === 'string' ? v.reason : undefined;
  return reason === undefined ? { approved } : { approved, reason };
}

/**
 * @internal The tool's JSON Schema as a Standard Schema whose validation accepts any value: Mastra shows the
 * model the schema but does not validate or transform the arguments itself, so the guard validates them once,
 * with the tool's own schema, and audits a refusal of invalid ones (`call.invalid`) like any other.
 */
export function inputSchemaOf(jsonSchema: Record<string, unknown>): StandardSchemaWithJSON<unknown, unknown> {
  const frozen = Object.freeze({ ...jsonSchema });
  return {
    '~standard': {
      version: 1,
      vendor: 'agentguard',
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: () => ({ ...frozen }), output: () => ({ ...frozen }) },
    },
  };
}
