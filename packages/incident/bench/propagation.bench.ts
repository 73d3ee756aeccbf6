/**
 * Kill switch propagation: the time from an operator command (signed status written to the status file,
 * doorbell rung on a real redis-server) to its effect in 10 guard processes (each adopted the status and a
 * guarded call of a write tool came back refused with ERR_GUARD_SUSPENDED, or ran again after a resume).
 * Baseline: one bare PUBLISH round trip to the same redis-server, measured in the same run.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentity } from '@agentguard/identity';
import type { BenchResult } from '../../../.config/bench-kit.js';
import { ringDoorbell } from '../src/control/redis.js';
import { signStatus } from '../src/control/sign.js';
import { findRedisServer, startRedisServer } from '../../policy/test/redis-server.js';

const GUARDS = 10;
const COMMANDS = 40;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export async function run(): Promise<BenchResult[]> {
  const binary = findRedisServer();
  if (binary === undefined) return [{ name: 'kill switch propagation (no redis-server on PATH)', opsPerSec: 0 }];
  const redis = await startRedisServer(binary);
  const dir = await mkdtemp(join(tmpdir(), 'agentguard-propagation-'));
  const status = join(dir, 'status.json');
  const operator = createIdentity({ name: 'operator' });
  let seq = 0;
  const publish = async (suspend: boolean) => {
    const signed = await signStatus({
      operator,
      channel: 'bench',
      seq: ++seq,
      measures: suspend ? [{ kind: 'suspend', scope: { kind: 'all' } }] : [],
    });
    const tmp = `${status}.${seq}.tmp`;
    await writeFile(tmp, JSON.stringify(signed));
    await rename(tmp, status);
  };
  await publish(false);
  const children: ChildProcess[] = [];
  const seen = new Map<number, Array<{ code: string; at: number }>>();
  try {
    const ready: Promise<void>[] = [];
    for (let i = 0; i < GUARDS; i++) {
      const child = fork(new URL('./guard-worker.ts', import.meta.url).pathname, [], {
        execArgv: ['--conditions', '@agentguard/source', '--import', 'tsx'],
        env: { ...process.env, STATUS: status, REDIS: redis.url, OPERATOR: operator.id },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(
        new Promise((resolve) => {
          child.on('message', (m: { ready?: boolean; seq?: number; code?: string; at?: number }) => {
            if (m.ready === true) resolve();
            else if (m.seq !== undefined) {
              const list = seen.get(m.seq) ?? [];
              list.push({ code: m.code as string, at: m.at as number });
              seen.set(m.seq, list);
            }
          });
        }),
      );
    }
    await Promise.all(ready);
    // Every guard subscribed: a PUBLISH reaches all of them.
    for (let i = 0; i < 500 && (await ringDoorbell({ url: redis.url }, 0)) < GUARDS; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const publishRtt: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await ringDoorbell({ url: redis.url, channel: 'agentguard:bench-baseline' }, i);
      publishRtt.push(performance.now() - t);
    }
    const latencies: number[] = [];
    let wrong = 0;
    for (let c = 0; c < COMMANDS; c++) {
      const suspend = c % 2 === 0;
      const t0 = Date.now();
      await publish(suspend);
      await ringDoorbell({ url: redis.url }, seq);
      const deadline = Date.now() + 10_000;
      while ((seen.get(seq)?.length ?? 0) < GUARDS && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const { code, at } of seen.get(seq) ?? []) {
        latencies.push(at - t0);
        if (code !== (suspend ? 'ERR_GUARD_SUSPENDED' : 'ran')) wrong++;
      }
      const missing = GUARDS - (seen.get(seq)?.length ?? 0);
      for (let m = 0; m < missing; m++) latencies.push(10_000);
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const rtt = percentile(publishRtt, 50);
    return [
      {
        name: `command to effect, ${GUARDS} guard processes (p50)`,
        opsPerSec: 1000 / Math.max(p50, 0.001),
        baseline: 'PUBLISH round trip',
        ratio: rtt / Math.max(p50, 0.001),
        note: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} effects; ${wrong} wrong outcomes; includes signing and writing the status`,
      },
      {
        name: 'PUBLISH round trip (baseline)',
        opsPerSec: 1000 / Math.max(rtt, 0.001),
        note: `p50 ${rtt.toFixed(2)} ms`,
      },
    ];
  } finally {
    for (const c of children) c.kill();
    redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
