/**
 * Strict JSON parsing for untrusted envelopes and payloads.
 *
 * `JSON.parse` alone keeps the last of duplicate keys and creates an own
 * `__proto__` property, so two parsers can read one text differently
 * (RFC 8259 §4: names SHOULD be unique; "the behavior of software that
 * receives such an object is unpredictable"). We parse with `JSON.parse` for
 * the grammar, then scan the text once to refuse duplicate names, the name
 * `__proto__`, and nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * Stop-gap: `@agentguard/identity` is gaining `parseJson` with the same rules;
 * this module will delegate to it once it is exported.
 */

/** Deepest nesting of arrays and objects accepted in an envelope or payload. */
export const MAX_JSON_DEPTH = 32;

/** Why {@link parseStrictJson} refused a text. */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

/**
 * Parses `text` as JSON, refusing duplicate object names, `__proto__` names
 * and deep nesting.
 *
 * @throws StrictJsonError for anything that is not strict JSON.
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new StrictJsonError(`not JSON: ${(cause as Error).message}`);
  }
  scan(text);
  return value;
}

// The text is known to be valid JSON here, so a small scanner suffices: it only
// needs to find object names and track nesting.
function scan(text: string): void {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) throw new StrictJsonError(`JSON nested deeper than ${MAX_JSON_DEPTH}`);
      stack.push(c === 0x7b ? new Set<string>() : null);
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x22 /* " */) {
      const end = endOfString(text, i);
      const names = stack[stack.length - 1];
      if (names && nextSignificant(text, end) === 0x3a /* : */) {
        const name = JSON.parse(text.slice(i, end)) as string;
        if (name === '__proto__') throw new StrictJsonError('JSON object name "__proto__" is refused');
        if (names.has(name)) throw new StrictJsonError(`duplicate JSON object name ${JSON.stringify(name)}`);
        names.add(name);
      }
      i = end;
    } else {
      i++;
    }
  }
}

/** Index just past the closing quote of the string starting at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return i;
}

function nextSignificant(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    // RFC 8259 §2 insignificant whitespace.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
    i++;
  }
  return -1;
}
