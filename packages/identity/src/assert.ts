/** Throws TypeError unless `value` is a Uint8Array (Buffer included). Internal. */
export function assertUint8Array(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
}
