import { canonicalize, digestToolDefinition, sha256Hex } from '@agentguard/statement';
import { type McpToolDefinition, pinnedDefinition } from './definition.js';

/**
 * What is remembered of a tool definition: its name, description and the hashes binding every pinned field (name,
 * title, description, input and output schema, annotations).
 */
export interface ToolPin {
  readonly name: string;
  readonly description: string | null;
  /** `sha256:<hex>` of the RFC 8785 (JCS) canonical JSON of the input schema. */
  readonly schemaHash: string;
  /**
   * `sha256:<hex>` of the JCS of `{ name, description, schemaHash }`, with `title`, `outputSchemaHash` (of the
   * output schema's JCS) and `annotations` added as members when the definition has them: a definition without
   * them keeps the hash pins stored before they were covered.
   */
  readonly hash: string;
  /**
   * The attestation digest of the definition (`digestToolDefinition` of `@agentguard/statement`: the digest a
   * guard's `attestation` records and pins use), so a pin can be given as `attestation.pinned.tools[name]` and a
   * changed definition compared as an `attest.tool` change. Absent in pins stored before it was kept.
   */
  readonly digest?: string;
}

/** How a definition compares with its pin. */
export type PinStatus = 'pinned' | 'same' | 'changed';

/** Tool definitions pinned on first sight, so a definition that changes later is refused (rug pull). */
export interface ToolPins {
  /**
   * Pins `definition` if its name was never seen (`'pinned'`); otherwise compares: `'same'`, or
   * `'changed'`, in which case the new definition is held until {@link ToolPins.approve}. A new name that
   * differs from a pinned one only by case, Unicode compatibility form or invisible characters (`Search`
   * next to a pinned `search`: a tool shadowing another) is not pinned on sight either: it is held as
   * `'changed'` until approved.
   */
  observe(definition: McpToolDefinition): PinStatus;
  /** The pin of `name`, if any. */
  get(name: string): ToolPin | undefined;
  /** Whether `name` has a changed definition awaiting approval. */
  isChanged(name: string): boolean;
  /** Names with a changed definition awaiting approval. */
  changed(): string[];
  /** Re-approves the changed definition of `name` (it becomes the pin); returns whether there was one. */
  approve(name: string): boolean;
  /** Every pin, for storage (a later `createToolPins(snapshot)` starts from them). */
  snapshot(): ToolPin[];
}

/**
 * Computes the pin of a tool definition: of every field a guarded listing hands on (name, title, description,
 * input schema, output schema, annotations); other fields of a listed item (`_meta`, `icons`, `execution`,
 * unknown ones) are neither pinned nor handed on.
 *
 * @param definition - the tool as listed by the server.
 * @returns its {@link ToolPin}.
 * @throws TypeError when the definition has no name, a title or description that is not a string, an output
 *   schema or annotations that are not an object, or a spec hint (`readOnlyHint`…) that is not a boolean;
 *   StatementError when a schema or the annotations are not JSON.
 * @example
 * ```ts
 * pinOf({ name: 'search', description: 'Search', inputSchema: { type: 'object' } }).hash; // 'sha256:…'
 * ```
 */
export function pinOf(definition: McpToolDefinition): ToolPin {
  return pinOfCopy(pinnedDefinition(definition));
}

/** @internal The pin of a copy made by `pinnedDefinition` (fields checked, `null` dropped, plain JSON). */
export function pinOfCopy(copy: McpToolDefinition): ToolPin {
  const { name, title, inputSchema, outputSchema, annotations } = copy;
  const description = copy.description ?? null;
  const schemaHash = digest(inputSchema ?? null);
  // The fields covered later join the hash only when present, so a definition without them keeps its old hash.
  const hash = digest({
    name,
    description,
    schemaHash,
    ...(title === undefined ? {} : { title }),
    ...(outputSchema === undefined ? {} : { outputSchemaHash: digest(outputSchema) }),
    ...(annotations === undefined ? {} : { annotations }),
  });
  const attested = digestToolDefinition({ name, description, schema: inputSchema, title, outputSchema, annotations });
  return Object.freeze({ name, description, schemaHash, hash, digest: attested });
}

// Invisible code points (zero-width space, joiners, variation selectors, BOM...) a model cannot see.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * @internal The form under which two tool names look alike to a model: Unicode compatibility form (NFKC),
 * case folded, invisible characters dropped. `search`, `Search`, `ｓｅａｒｃｈ` and `sea\u200Brch` share it.
 */
export function nameSkeleton(name: string): string {
  return name.normalize('NFKC').replace(IGNORABLE, '').toLowerCase().normalize('NFKC');
}

function digest(value: unknown): string {
  return `sha256:${sha256Hex(new TextEncoder().encode(canonicalize(value)))}`;
}

/**
 * Creates a store of pinned tool definitions (trust on first use).
 *
 * @param initial - pins from an earlier {@link ToolPins.snapshot}.
 * @returns a frozen {@link ToolPins}.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const pins = createToolPins();
 * pins.observe(tool);          // 'pinned'
 * pins.observe(changedTool);   // 'changed': calls are refused until pins.approve(tool.name)
 * ```
 */
export function createToolPins(initial: readonly ToolPin[] = []): ToolPins {
  const pins = new Map<string, ToolPin>();
  const held = new Map<string, ToolPin>();
  // Skeleton -> the pinned names that have it, so a look-alike of a pinned name is caught on sight.
  const skeletons = new Map<string, Set<string>>();
  function setPin(pin: ToolPin): void {
    pins.set(pin.name, pin);
    const key = nameSkeleton(pin.name);
    const names = skeletons.get(key) ?? new Set<string>();
    names.add(pin.name);
    skeletons.set(key, names);
  }
  if (!Array.isArray(initial)) throw new TypeError('"initial" expected ToolPin[]');
  for (const pin of initial) {
    if (typeof pin?.name !== 'string' || typeof pin.hash !== 'string')
      throw new TypeError('"initial" expected ToolPin[]');
    setPin(Object.freeze({ ...pin }));
  }
  return Object.freeze({
    observe(definition: McpToolDefinition): PinStatus {
      const next = pinOf(definition);
      const current = pins.get(next.name);
      if (current === undefined) {
        // A new name looking like a pinned one (a shadowing tool) waits for a human, as a changed one does.
        if (skeletons.has(nameSkeleton(next.name))) {
          held.set(next.name, next);
          return 'changed';
        }
        setPin(next);
        return 'pinned';
      }
      if (current.hash === next.hash) {
        held.delete(next.name);
        return 'same';
      }
      held.set(next.name, next);
      return 'changed';
    },
    get: (name: string) => pins.get(name),
    isChanged: (name: string) => held.has(name),
    changed: () => [...held.keys()],
    approve(name: string): boolean {
      const next = held.get(name);
      if (next === undefined) return false;
      setPin(next);
      held.delete(name);
      return true;
    },
    snapshot: () => [...pins.values()],
  });
}
