/**
 * The one way the page makes elements. Log content is attacker-controlled, so text only ever goes in
 * through text nodes: no innerHTML anywhere (and the page's CSP would refuse any injected script).
 */
type Child = Node | string | number | undefined | false;

/** Creates an element with attributes (`class`, `data-*`, …) and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) {
    if (child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** The element with `id`, which the page's markup guarantees. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page is missing #${id}`);
  return el as T;
}

/** A short form of a did:key for tables (the full id is in the title and the detail view). */
export const shortDid = (did: string): string => (did.length > 24 ? `${did.slice(0, 16)}…${did.slice(-6)}` : did);
