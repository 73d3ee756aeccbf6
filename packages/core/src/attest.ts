import type { AttestationData, AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import { digestToolDefinition, sha256Hex } from '@agentguard/statement';
import { jsonSchemaOf, type StandardSchemaV1 } from './standard-schema.js';
import { runWithTimeout } from './timeout.js';

/**
 * Integrity checks of what a guard runs: digests of each guarded tool's definition (name, description, input
 * JSON Schema) and the policy hash, written as a signed `attestation` record at the first call and every
 * `everyMs`, compared with pinned values. A digest is `sha256:` of the RFC 8785 canonical JSON of
 * `{ name, description, schema }` (absent parts as `null`), the same as `toolDigest` of `@agentguard/monitor`,
 * so a pin made with `agentguard attest` or `ag.attest()` fits either.
 */

/** Digests pinned at deployment: what the guard compares what it runs with. */
export interface AttestationPins {
  /** Tool name to the digest of its definition. A guarded tool not named here counts as changed. */
  readonly tools: Readonly<Record<string, string>>;
  /** The policy hash (`ag.policyHash`); `null` or absent: the policy is not pinned. @default not pinned */
  readonly policy?: string | null;
  /**
   * File path to the `sha256:` digest of its bytes (the agent's lockfile, entry files), as `digestFiles` of
   * `@agentguard/monitor/node` or `agentguard attest` computes them. A path named here and not read (see
   * {@link AttestationOptions.files}) counts as changed. @default none
   */
  readonly files?: Readonly<Record<string, string>>;
}

/** The code files a guard attests: which, and how their bytes are read (core itself reads no files). */
export interface AttestedFiles {
  /** The paths, e.g. `['pnpm-lock.yaml', 'dist/agent.js']`. @default the paths of `pinned.files` */
  readonly paths?: readonly string[];
  /** Reads one file's bytes, e.g. `(path) => readFile(path)` of `node:fs/promises`; a throw counts as changed. */
  readonly read: (path: string) => Uint8Array | PromiseLike<Uint8Array>;
  /** Milliseconds one read may take; past it the file counts as unreadable. @default 5_000 */
  readonly timeoutMs?: number;
}

/** The `attestation` option of `createGuard`. */
export interface AttestationOptions {
  /** The pinned digests, e.g. the `tools` and `policyHash` of an earlier `ag.attest()`, or an `agentguard attest` pin. */
  readonly pinned: AttestationPins;
  /**
   * Code files to digest at every attestation (the agent's package lockfile, its entry files), compared with
   * `pinned.files`: a changed file is an `attest.file` change, which denies every call (`onChange: 'deny'`) or is
   * recorded (`'alert'`). @default none
   */
  readonly files?: AttestedFiles;
  /**
   * Milliseconds between attestations after the first (each writes an `attestation` record); 0 attests only at
   * the first call, when a tool is guarded after it, and on `ag.attest()`.
   * @default 0
   */
  readonly everyMs?: number;
  /**
   * What a change against the pins does: `'deny'` refuses every call of a changed tool (every call, when the
   * policy changed) with `ERR_GUARD_ATTESTATION_CHANGED`; `'alert'` records the changes and lets calls run.
   * @default 'deny'
   */
  readonly onChange?: 'alert' | 'deny';
}

/** One difference between the pins and what runs. */
export interface AttestationChange {
  readonly feature: 'attest.tool' | 'attest.policy' | 'attest.file';
  /** The tool name, file path, or `policy`. */
  readonly subject: string;
  readonly expected: string;
  readonly seen: string;
}

/** What `ag.attest()` found and recorded. */
export interface AttestationReport {
  /** Tool name to the digest of the definition that runs under that name now. */
  readonly tools: Readonly<Record<string, string>>;
  readonly policyHash: string;
  /** File path to the digest of its bytes now (`unreadable` when it could not be read); empty without `files`. */
  readonly files: Readonly<Record<string, string>>;
  /** Empty when everything matches the pins. */
  readonly changes: readonly AttestationChange[];
}

/** Options of `ag.attest()`. */
export interface AttestOptions {
  /**
   * Changes seen outside the guard, recorded in the same signed `attestation` record beside the guard's own:
   * e.g. an MCP server's tool definition that moved away from its pin (`guardMcpClient` passes these). They
   * are evidence, not enforcement: whoever observed them refuses the calls (the MCP client does). At most 64;
   * `subject` at most 256 characters; `expected` and `seen` a `sha256:` digest, `absent` or `unreadable`.
   * @default none
   */
  readonly observed?: readonly AttestationChange[];
}

/** Most observed changes one attestation records. */
const MAX_OBSERVED = 64;
const FEATURES: ReadonlySet<string> = new Set(['attest.tool', 'attest.policy', 'attest.file']);
const digestOrMark = (v: unknown): v is string =>
  typeof v === 'string' && (DIGEST.test(v) || v === 'absent' || v === UNREADABLE);

/** @internal Checks and copies `observed` of {@link AttestOptions}; TypeError / RangeError on misuse. */
export function checkObserved(value: unknown): AttestationChange[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError('"observed" expected an array of attestation changes');
  if (value.length > MAX_OBSERVED) throw new RangeError(`"observed" expected at most ${MAX_OBSERVED} changes`);
  return value.map((c: unknown, i) => {
    const change = c as Partial<AttestationChange> | null;
    if (typeof change !== 'object' || change === null) throw new TypeError(`"observed[${i}]" expected an object`);
    const { feature, subject, expected, seen } = change;
    if (typeof feature !== 'string' || !FEATURES.has(feature)) {
      throw new TypeError(`"observed[${i}].feature" expected attest.tool, attest.policy or attest.file`);
    }
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256 || /\p{Cc}/u.test(subject)) {
      throw new TypeError(`"observed[${i}].subject" expected 1 to 256 characters without control characters`);
    }
    if (!digestOrMark(expected) || !digestOrMark(seen)) {
      throw new TypeError(`"observed[${i}].expected" and ".seen" expected sha256:<64 hex>, absent or unreadable`);
    }
    return Object.freeze({ feature: feature as AttestationChange['feature'], subject, expected, seen });
  });
}

/** @internal What of a guarded tool is attested. */
export interface AttestedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly schema: StandardSchemaV1;
}

/** A digest that cannot equal any pin: the definition could not be read as JSON. */
const UNREADABLE = 'unreadable';
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_MS = 2_147_483_647;
/** Most files one guard attests. */
const MAX_FILES = 1024;

/** @internal The digest of a file's bytes: `sha256:<hex>`, as `digestFiles` of `@agentguard/monitor/node`. */
export function fileDigest(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

async function digestFile(files: AttestedFiles, path: string): Promise<string> {
  try {
    const bytes = await runWithTimeout(() => Promise.resolve(files.read(path)), files.timeoutMs ?? 5_000);
    return bytes instanceof Uint8Array ? fileDigest(bytes) : UNREADABLE;
  } catch {
    return UNREADABLE;
  }
}

/** @internal The digest of one tool definition (see the module comment); `unreadable` when it is not JSON. */
export function toolDefinitionDigest(tool: AttestedTool): string {
  try {
    return digestToolDefinition({ name: tool.name, description: tool.description, schema: jsonSchemaOf(tool.schema) });
  } catch {
    return UNREADABLE;
  }
}

/** @internal Checks the `attestation` option; TypeError / RangeError on misuse. */
export function checkAttestationOptions(value: unknown): void {
  if (value === undefined) return;
  const a = value as Partial<AttestationOptions> | null;
  if (typeof a !== 'object' || a === null) throw new TypeError('"attestation" expected an object { pinned }');
  const tools = a.pinned?.tools;
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new TypeError('"attestation.pinned.tools" expected an object of tool name to sha256 digest');
  }
  for (const [name, d] of Object.entries(tools)) {
    if (typeof d !== 'string' || !DIGEST.test(d)) {
      throw new TypeError(`"attestation.pinned.tools.${name}" expected sha256:<64 hex>, got ${String(d)}`);
    }
  }
  const policy = a.pinned?.policy;
  if (policy !== undefined && policy !== null && (typeof policy !== 'string' || !DIGEST.test(policy))) {
    throw new TypeError(`"attestation.pinned.policy" expected sha256:<64 hex> or null, got ${String(policy)}`);
  }
  const pinnedFiles = a.pinned?.files;
  if (pinnedFiles !== undefined) {
    if (typeof pinnedFiles !== 'object' || pinnedFiles === null || Array.isArray(pinnedFiles)) {
      throw new TypeError('"attestation.pinned.files" expected an object of file path to sha256 digest');
    }
    for (const [path, d] of Object.entries(pinnedFiles)) {
      if (typeof d !== 'string' || !DIGEST.test(d)) {
        throw new TypeError(`"attestation.pinned.files.${path}" expected sha256:<64 hex>, got ${String(d)}`);
      }
    }
  }
  const files = a.files;
  if (files !== undefined) {
    if (typeof files !== 'object' || files === null || typeof files.read !== 'function') {
      throw new TypeError('"attestation.files" expected an object { paths?, read }');
    }
    const paths = files.paths;
    if (
      paths !== undefined &&
      (!Array.isArray(paths) ||
        paths.length > MAX_FILES ||
        !paths.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 4096))
    ) {
      throw new TypeError(`"attestation.files.paths" expected at most ${MAX_FILES} non-empty path strings`);
    }
    const t = files.timeoutMs;
    if (t !== undefined && (!Number.isInteger(t) || t <= 0 || t > MAX_MS)) {
      throw new RangeError(
        `"attestation.files.timeoutMs" expected a positive integer of milliseconds, got ${String(t)}`,
      );
    }
  }
  if (a.onChange !== undefined && a.onChange !== 'alert' && a.onChange !== 'deny') {
    throw new TypeError(`"attestation.onChange" expected 'alert' or 'deny', got ${String(a.onChange)}`);
  }
  const ms = a.everyMs;
  if (ms !== undefined && (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS)) {
    throw new RangeError(`"attestation.everyMs" expected an integer of milliseconds >= 0, got ${String(ms)}`);
  }
}

/** @internal The attestation state of one guard. */
export interface Attestor {
  /** Registers a guarded tool (its definition is digested now); a later attestation is scheduled. */
  register(tool: AttestedTool): void;
  /** Attests now (with changes observed outside, already checked) and writes the record; rejects when it cannot. */
  attest(observed?: readonly AttestationChange[]): Promise<AttestationReport>;
  /**
   * Before a call: the first attestation (or one that is due) is written first. Resolves to the reason the
   * call is refused (`onChange: 'deny'` and the tool or the policy differs from its pin), or undefined.
   */
  gate(tool: AttestedTool): Promise<string | undefined>;
  /** Stops the timer. */
  stop(): void;
}

/** @internal Builds the attestor of a guard from checked options. */
export function createAttestor(
  options: AttestationOptions,
  io: { readonly audit: AuditLog; readonly identity: Signer; readonly policyHash: () => string },
): Attestor {
  const pinnedTools = new Map(Object.entries(options.pinned.tools));
  const pinnedPolicy = options.pinned.policy ?? null;
  const pinnedFiles = new Map(Object.entries(options.pinned.files ?? {}));
  const filePaths = [...new Set(options.files?.paths ?? Object.keys(options.pinned.files ?? {}))];
  // The files' changes as of the last attestation written: every call is refused while one differs.
  let fileChange: AttestationChange | undefined;
  const deny = (options.onChange ?? 'deny') === 'deny';
  // The definition guarded last under each name is the one attested; every definition keeps the digest it had
  // when it was guarded, and one whose live definition moved away from it later counts as changed.
  const latest = new Map<string, AttestedTool>();
  const digests = new WeakMap<AttestedTool, string>();
  const drifted = new WeakSet<AttestedTool>();
  let pending: Promise<void> | undefined;
  let due = true; // the first call attests first
  let attested = false;

  function changesOf(
    tools: ReadonlyMap<string, string>,
    policyHash: string,
    files: ReadonlyMap<string, string>,
  ): AttestationChange[] {
    const out: AttestationChange[] = [];
    for (const [name, seen] of tools) {
      const expected = pinnedTools.get(name);
      if (expected !== seen) out.push({ feature: 'attest.tool', subject: name, expected: expected ?? 'absent', seen });
    }
    for (const [name, expected] of pinnedTools) {
      if (!tools.has(name)) out.push({ feature: 'attest.tool', subject: name, expected, seen: 'absent' });
    }
    if (pinnedPolicy !== null && pinnedPolicy !== policyHash) {
      out.push({ feature: 'attest.policy', subject: 'policy', expected: pinnedPolicy, seen: policyHash });
    }
    for (const [path, seen] of files) {
      const expected = pinnedFiles.get(path);
      if (expected !== seen) out.push({ feature: 'attest.file', subject: path, expected: expected ?? 'absent', seen });
    }
    for (const [path, expected] of pinnedFiles) {
      if (!files.has(path)) out.push({ feature: 'attest.file', subject: path, expected, seen: 'absent' });
    }
    return out;
  }

  async function write(observed: readonly AttestationChange[]): Promise<AttestationReport> {
    const tools = new Map<string, string>();
    for (const [name, tool] of latest) {
      const now = toolDefinitionDigest(tool);
      if (now !== digests.get(tool)) drifted.add(tool);
      tools.set(name, now);
    }
    const policyHash = io.policyHash();
    const files = new Map<string, string>();
    const reader = options.files;
    if (reader !== undefined) for (const path of filePaths) files.set(path, await digestFile(reader, path));
    const own = changesOf(tools, policyHash, files);
    const changes = [...own, ...observed];
    const report: AttestationReport = Object.freeze({
      tools: Object.freeze(Object.fromEntries(tools)),
      policyHash,
      files: Object.freeze(Object.fromEntries(files)),
      changes: Object.freeze(changes.map((c) => Object.freeze(c))),
    });
    const data = {
      tools: report.tools,
      policyHash,
      ...(files.size === 0 ? {} : { files: report.files }),
      pinnedPolicy,
      onChange: deny ? ('deny' as const) : ('alert' as const),
      changes: report.changes,
    } satisfies AttestationData;
    await io.audit.append(
      { type: 'attestation', callId: `attest:${crypto.randomUUID()}`, agent: io.identity.id, tool: '*', data },
      io.identity,
    );
    attested = true;
    fileChange = own.find((c) => c.feature === 'attest.file');
    return report;
  }

  function attest(observed: readonly AttestationChange[] = []): Promise<AttestationReport> {
    // One attestation at a time, in order; calls that arrive meanwhile wait for it (`pending` never rejects).
    const run = (pending ?? Promise.resolve()).then(() => write(observed));
    due = false;
    const settled: Promise<void> = run.then(
      () => undefined,
      () => {
        due = true; // not recorded: the next call tries again before it runs
      },
    );
    pending = settled;
    void settled.then(() => {
      if (pending === settled) pending = undefined;
    });
    return run;
  }

  const everyMs = options.everyMs ?? 0;
  const timer =
    everyMs > 0
      ? setInterval(() => {
          attest().catch(() => undefined);
        }, everyMs)
      : undefined;
  // A timer must not keep a process alive that has nothing else to do.
  (timer as { unref?: () => void } | undefined)?.unref?.();

  return {
    register(tool: AttestedTool): void {
      digests.set(tool, toolDefinitionDigest(tool));
      latest.set(tool.name, tool);
      // A tool guarded after the first attestation (an MCP server's tools refreshed) is attested before its call.
      if (attested) due = true;
    },
    attest,
    async gate(tool: AttestedTool): Promise<string | undefined> {
      if (pending !== undefined) await pending;
      if (due) await attest();
      if (!deny) return undefined;
      const policyHash = io.policyHash();
      if (pinnedPolicy !== null && pinnedPolicy !== policyHash) {
        return `attestation changed: policy ${policyHash} is not the pinned ${pinnedPolicy}`;
      }
      if (fileChange !== undefined) {
        return `attestation changed: file ${fileChange.subject} has digest ${fileChange.seen}, pinned ${fileChange.expected}`;
      }
      const digest = digests.get(tool) ?? UNREADABLE;
      const expected = pinnedTools.get(tool.name);
      if (drifted.has(tool) || expected !== digest) {
        return `attestation changed: tool ${tool.name} has definition ${digest}, pinned ${expected ?? 'absent'}`;
      }
      return undefined;
    },
    stop(): void {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
