import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import type { MonitorSession } from './call.js';
import { learnProfile } from './learn.js';
import { parseProfile } from './profile.js';
import { acceptProfileUpdate, signProfile, verifySignedProfile } from './signed-profile.js';

const operator = createIdentity({ secretKey: new Uint8Array(32).fill(7) });
const stranger = createIdentity({ secretKey: new Uint8Array(32).fill(8) });
const session = (id: string, tools: string[]): MonitorSession => ({
  id,
  agent: 'a',
  calls: tools.map((tool) => ({ tool, args: { to: `${tool}@x.example.com` }, sideEffect: false, result: null })),
});
const base = learnProfile([session('1', ['read', 'write']), session('2', ['read'])]);

describe('signed profiles', () => {
  it('round-trips through JSON and verifies', async () => {
    const signed = await signProfile(base, operator);
    const back = JSON.parse(JSON.stringify(signed));
    const check = verifySignedProfile(back, [operator.id]);
    expect(check).toMatchObject({ ok: true, hash: signed.hash, signer: operator.id });
    expect(check.ok && parseProfile(check.profile)).toEqual(base);
  });

  it('refuses a changed profile, a changed hash, a bad signature and an untrusted signer', async () => {
    const signed = await signProfile(base, operator);
    const tampered = structuredClone(signed);
    (tampered.profile.agents.a as { calls: number }).calls = 99;
    expect(verifySignedProfile(tampered, [operator.id])).toMatchObject({
      ok: false,
      code: 'ERR_MONITOR_PROFILE_HASH_MISMATCH',
    });
    const rehashed = { ...signed, previous: `sha256:${'0'.repeat(64)}` };
    expect(verifySignedProfile(rehashed, [operator.id])).toMatchObject({
      ok: false,
      code: 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID',
    });
    expect(verifySignedProfile(signed, [stranger.id])).toMatchObject({
      ok: false,
      code: 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID',
    });
    expect(verifySignedProfile({ ...signed, extra: 1 }, [operator.id])).toMatchObject({
      ok: false,
      code: 'ERR_MONITOR_PROFILE_INVALID',
    });
    expect(verifySignedProfile(null, [operator.id])).toMatchObject({ ok: false, code: 'ERR_MONITOR_PROFILE_INVALID' });
  });

  it('accepts only linked, signed updates within the drift bound', async () => {
    const current = await signProfile(base, operator);
    const small = learnProfile([
      session('1', ['read', 'write']),
      session('2', ['read']),
      session('3', ['read', 'read']),
    ]);
    const update = await signProfile(small, operator, { previous: current });
    expect(acceptProfileUpdate(current, JSON.parse(JSON.stringify(update)), [operator.id]).hash).toBe(update.hash);

    const unlinked = await signProfile(small, operator);
    expect(() => acceptProfileUpdate(current, unlinked, [operator.id])).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_UPDATE_UNLINKED' }),
    );
    const forged = await signProfile(small, stranger, { previous: current });
    expect(() => acceptProfileUpdate(current, forged, [operator.id])).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID' }),
    );
    const big = learnProfile([session('1', ['read', 'write', 'wire', 'delete', 'export', 'share'])]);
    await expect(signProfile(big, operator, { previous: current })).rejects.toMatchObject({
      code: 'ERR_MONITOR_DRIFT_EXCEEDED',
    });
    const bigSigned = await signProfile(big, operator, { previous: current, maxDrift: 100 });
    expect(() => acceptProfileUpdate(current, bigSigned, [operator.id])).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_DRIFT_EXCEEDED' }),
    );
  });

  it('learning from a window with alerts needs an explicit decision, recorded in the profile', () => {
    const window = [session('1', ['read']), session('evil', ['read', 'wire'])];
    const alerted = new Set(['evil']);
    expect(() => learnProfile(window, { alerted })).toThrow(
      expect.objectContaining({ code: 'ERR_MONITOR_ALERTS_IN_WINDOW' }),
    );
    const excluded = learnProfile(window, { alerted, onAlerts: 'exclude' });
    expect(excluded.learned).toMatchObject({ alerts: 'excluded', alertSessions: 1, sessions: 1 });
    expect(Object.keys(excluded.agents.a?.tools ?? {})).toEqual(['read']);
    expect(learnProfile(window, { alerted, onAlerts: 'include' }).learned.alerts).toBe('included');
  });
});
