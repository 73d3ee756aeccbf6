/**
 * Pure string normalisation of file paths for `pathPrefix` conditions. It
 * removes the tricks that fool a naive `startsWith`: `.` and `..` segments,
 * duplicate slashes, and backslashes used as separators. It cannot see
 * symbolic links: for that, give the engine a `resolvePath` hook (e.g. one
 * that calls `fs.realpath`), which runs on the normalised path.
 */

/**
 * Normalises an absolute POSIX-style path: `\` counts as a separator, empty
 * and `.` segments go, `..` removes the previous segment (never above `/`).
 *
 * @returns the normalised path, or `undefined` when the input is not an
 *   absolute path or contains a NUL character (so a condition cannot decide on it).
 */
export function normalizePath(path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  const unified = path.replaceAll('\\', '/');
  if (!unified.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const segment of unified.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** Whether normalised `path` is `prefix` or lies inside it (segment boundary, not string prefix). */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}
