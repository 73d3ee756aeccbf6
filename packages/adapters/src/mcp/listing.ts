import type { AttestationChange } from '@agentguard/core';
import { isGuardableName } from '../common/tools.js';
import type { McpClientLike, McpToolListing } from './client-types.js';
import { type McpToolDefinition, pinnedDefinition } from './definition.js';
import { type PinStatus, pinOfCopy, type ToolPins } from './pins.js';
import { pinMismatch } from './refusal.js';

/** Most pages of `tools/list` read for one listing; a server paging further is refused (fail closed). */
const MAX_PAGES = 100;
/** Most tool definitions read for one listing. */
const MAX_TOOLS = 10_000;

/** What a name in one listing is: its pin status, listed twice with different definitions, or unusable. */
type ListedStatus = PinStatus | 'ambiguous' | 'invalid';

/** @internal Reads a server's tools and compares them with the pins: for listings, and before every call. */
export interface ToolSurvey {
  /** The definitions that may be shown to a model, and the names held or unusable (see {@link McpToolListing}). */
  listTools(): Promise<McpToolListing>;
  /**
   * Checks the server's current definition of `name` against its pin (pinning it on first sight).
   * @throws Error when the listing cannot be read or names no such tool; the pin-mismatch refusal
   *   (`ERR_ADAPTER_MCP_PIN_MISMATCH`) when the definition is held, ambiguous or malformed.
   */
  checkPin(name: string): Promise<void>;
}

/**
 * @internal Builds the {@link ToolSurvey} of one guarded client. `attest` receives, after each listing, the
 * definitions that moved away from their pins (as `attest.tool` changes), to be recorded by the guard.
 */
export function createToolSurvey(
  client: McpClientLike,
  pins: ToolPins,
  attest: (changes: readonly AttestationChange[]) => Promise<void> = async () => undefined,
): ToolSurvey {
  // Every page of tools/list, bounded; a cursor seen twice (a loop) or too many pages fail closed.
  async function listAll(): Promise<unknown[]> {
    const tools: unknown[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = (await client.listTools(cursor === undefined ? undefined : { cursor })) as unknown;
      const page_ = result as { tools?: unknown; nextCursor?: unknown } | null;
      if (typeof page_ !== 'object' || page_ === null || !Array.isArray(page_.tools)) {
        throw new Error('the server answered tools/list without a tools array');
      }
      tools.push(...page_.tools);
      if (tools.length > MAX_TOOLS) throw new Error(`the server lists more than ${MAX_TOOLS} tools`);
      const next = page_.nextCursor;
      if (next === undefined || next === null) return tools;
      if (typeof next !== 'string' || cursors.has(next)) throw new Error('the server pages tools/list in a loop');
      cursors.add(next);
      cursor = next;
    }
    throw new Error(`the server pages tools/list past ${MAX_PAGES} pages`);
  }

  // Compares one listing with the pins (pinning names seen for the first time). A name listed twice with
  // different definitions is ambiguous: which one would the model, and the server, mean? Its differing
  // definitions are held, so it stays refused until a human approves one. Each definition is first copied
  // down to its pinned fields (pinnedDefinition); that copy is what is pinned, compared and handed on.
  function survey(listed: readonly unknown[]): {
    status: Map<string, ListedStatus>;
    changes: AttestationChange[];
    definitions: Map<string, McpToolDefinition>;
  } {
    const byName = new Map<string, unknown[]>();
    const status = new Map<string, ListedStatus>();
    const definitions = new Map<string, McpToolDefinition>();
    const changes: AttestationChange[] = [];
    // A definition that differs from the pin of its name (or shadows a pinned name) is an attest.tool change.
    const changed = (name: string, definition: McpToolDefinition) => {
      const seen = pinOfCopy(definition).digest;
      if (seen === undefined) return;
      changes.push({ feature: 'attest.tool', subject: name, expected: pins.get(name)?.digest ?? 'absent', seen });
    };
    for (const item of listed) {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') continue;
      const group = byName.get(name) ?? [];
      group.push(item);
      byName.set(name, group);
    }
    for (const [name, group] of byName) {
      if (!isGuardableName(name)) {
        status.set(name, 'invalid');
        continue;
      }
      let hashes: Map<string, McpToolDefinition>;
      try {
        const copies = group.map((item) => pinnedDefinition(item));
        // The copy is read apart from the grouping: a name that reads differently the second time is refused.
        if (copies.some((copy) => copy.name !== name)) throw new TypeError('the name changed between two reads');
        hashes = new Map(copies.map((copy) => [pinOfCopy(copy).hash, copy]));
      } catch {
        // A definition that cannot be pinned (a field of the wrong type, not JSON) is never offered nor called.
        status.set(name, 'invalid');
        continue;
      }
      if (hashes.size === 1) {
        const definition = hashes.values().next().value as McpToolDefinition;
        definitions.set(name, definition);
        const observed = pins.observe(definition);
        if (observed === 'changed') changed(name, definition);
        status.set(name, observed);
        continue;
      }
      const pinned = pins.get(name)?.hash;
      let first: McpToolDefinition | undefined;
      for (const [hash, definition] of hashes) {
        if (hash === pinned) continue;
        if (pinned !== undefined) pins.observe(definition);
        first ??= definition;
      }
      // One change per ambiguous name (its first differing definition), however many a server lists.
      if (first !== undefined) changed(name, first);
      status.set(name, 'ambiguous');
    }
    return { status, changes, definitions };
  }

  async function listTools(): Promise<McpToolListing> {
    const listed = await listAll();
    const { status, changes, definitions } = survey(listed);
    await attest(changes);
    // Each usable tool once, in listing order, as the pinned copy: never the listed item, whose other fields
    // (`_meta`, `icons`, unknown ones) are not pinned.
    const tools: McpToolDefinition[] = [];
    for (const [name, s] of status) {
      const definition = definitions.get(name);
      if ((s === 'pinned' || s === 'same') && !pins.isChanged(name) && definition !== undefined) tools.push(definition);
    }
    const ambiguous = [...status].filter(([, s]) => s === 'ambiguous').map(([name]) => name);
    const invalid = [...status].filter(([, s]) => s === 'invalid').map(([name]) => name);
    return { tools, changed: [...new Set([...pins.changed(), ...ambiguous])], invalid };
  }

  // Checks the server's current definition of `name` against its pin (pinning it on first sight). Runs for
  // every call, so a call whose tool was never listed, or changed since, never goes out unchecked.
  async function checkPin(name: string): Promise<void> {
    let listed: unknown[];
    try {
      listed = await listAll();
    } catch {
      // Fail closed, and keep the server's (or the transport's) text out of what the model sees.
      throw new Error(`could not list the server's tools to check the pinned definition of ${name}`);
    }
    const surveyed = survey(listed);
    await attest(surveyed.changes);
    const status = surveyed.status.get(name);
    if (status === undefined) throw new Error(`the server lists no tool ${JSON.stringify(name)}`);
    if (status === 'ambiguous' || status === 'invalid') {
      throw pinMismatch(`the server lists ${name} more than once, or malformed; approve one definition before calling`);
    }
    if (status === 'changed' || pins.isChanged(name)) {
      throw pinMismatch(`the definition of ${name} changed since it was pinned; re-approve it before calling`);
    }
  }

  return Object.freeze({ listTools, checkPin });
}
