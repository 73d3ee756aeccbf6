import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRealPath } from './node.js';

let root = '';
beforeAll(async () => {
  root = await realpath(await mkdtemp(`${tmpdir()}/ag-node-`));
  await mkdir(`${root}/data`);
  await mkdir(`${root}/out`);
  await symlink(`${root}/out`, `${root}/data/link`);
  await symlink(`${root}/out/none`, `${root}/data/dangling`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveRealPath', () => {
  it('follows links and `..` as the OS does', async () => {
    expect(await resolveRealPath(`${root}/data/link/../data`)).toBe(`${root}/data`);
    expect(await resolveRealPath(`${root}/data/link`)).toBe(`${root}/out`);
  });

  it('resolves a file not created yet to its real directory plus the name', async () => {
    expect(await resolveRealPath(`${root}/data/new.txt`)).toBe(`${root}/data/new.txt`);
    expect(await resolveRealPath(`${root}/data/link/a/b`)).toBe(`${root}/out/a/b`);
  });

  it.each(['dangling', 'dangling/x', 'new/..', 'new/../../out', 'new/.'])('refuses %j', async (rest) => {
    await expect(resolveRealPath(`${root}/data/${rest}`)).rejects.toThrow();
  });

  it('refuses relative paths and NUL', async () => {
    await expect(resolveRealPath('data/x')).rejects.toThrow(TypeError);
    await expect(resolveRealPath(`${root}/a\0b`)).rejects.toThrow(TypeError);
  });
});
