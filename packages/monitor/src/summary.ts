import type { Verdict } from './detector.js';
import type { AlertFeature } from './detector-options.js';

/** One row of the per-agent summary table `agentguard monitor` prints. Plain data. */
export interface AgentSummary {
  readonly agent: string;
  /** Calls scored. */
  readonly calls: number;
  /** Calls that reached the threshold. */
  readonly flagged: number;
  /** Calls with at least one alert (flagged or not). */
  readonly alerted: number;
  /** Highest call score seen. */
  readonly maxScore: number;
  /** Alerts per feature. */
  readonly features: Readonly<Partial<Record<AlertFeature, number>>>;
  /** `ts` of the last call scored, if known. */
  readonly lastTs: string | undefined;
}

interface Row {
  calls: number;
  flagged: number;
  alerted: number;
  maxScore: number;
  features: Partial<Record<AlertFeature, number>>;
  lastTs: string | undefined;
}

/** The summary table's accumulator, fed with every verdict. */
export interface SummaryTable {
  add(agent: string, verdict: Verdict, ts?: string): void;
  /** A copy of the rows, sorted by agent. */
  rows(): AgentSummary[];
}

/** Creates an empty {@link SummaryTable}. */
export function createSummary(): SummaryTable {
  const rows = new Map<string, Row>();
  return {
    add(agent, verdict, ts) {
      let row = rows.get(agent);
      if (row === undefined) {
        row = { calls: 0, flagged: 0, alerted: 0, maxScore: 0, features: {}, lastTs: undefined };
        rows.set(agent, row);
      }
      row.calls++;
      if (verdict.flagged) row.flagged++;
      if (verdict.alerts.length > 0) row.alerted++;
      row.maxScore = Math.max(row.maxScore, verdict.score);
      for (const a of verdict.alerts) row.features[a.feature] = (row.features[a.feature] ?? 0) + 1;
      if (ts !== undefined) row.lastTs = ts;
    },
    rows() {
      return [...rows.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([agent, r]) => ({ agent, ...r, features: { ...r.features } }));
    },
  };
}
