// Following a job's events (GET /jobs/:id/events, replayed from the start for finished jobs) into
// per-epoch curves. Events are buffered and drawn once per animation frame: a finished job replays
// hundreds at once.
import { useEffect, useState } from "preact/hooks";
import type { EpochEventData, Job, StatusEventData } from "../../api/schemas.js";
import type { MaasClient } from "../../client/client.js";

/** Metrics drawn against epochs, the first one a job reports wins. */
const HEADLINE = ["accuracy", "r2"];

export interface Curves {
  epoch: number[];
  trainLoss: (number | null)[];
  validationLoss: (number | null)[];
  /** The task's headline metric (accuracy or r2) per epoch, null where it was not measured. */
  metric: { name: string; values: (number | null)[] } | undefined;
  last: EpochEventData | undefined;
  status: Job["status"] | undefined;
  error: unknown;
}

const EMPTY: Curves = { epoch: [], trainLoss: [], validationLoss: [], metric: undefined, last: undefined, status: undefined, error: undefined };

/** The job's curves, growing while it trains; `onStatus` runs on each status change. */
export function useJobCurves(client: MaasClient, id: string, onStatus: (status: Job["status"]) => void): Curves {
  const [curves, setCurves] = useState<Curves>(EMPTY);
  useEffect(() => {
    const abort = new AbortController();
    const c = { epoch: [] as number[], trainLoss: [] as (number | null)[], validationLoss: [] as (number | null)[], metrics: [] as Record<string, number | null>[] };
    let last: EpochEventData | undefined;
    let status: Job["status"] | undefined;
    let frame = 0;
    const draw = (error?: unknown) => {
      frame = 0;
      const name = HEADLINE.find((m) => c.metrics.some((x) => typeof x[m] === "number"));
      setCurves({
        epoch: [...c.epoch],
        trainLoss: [...c.trainLoss],
        validationLoss: [...c.validationLoss],
        metric: name ? { name, values: c.metrics.map((x) => x[name] ?? null) } : undefined,
        last,
        status,
        error,
      });
    };
    setCurves(EMPTY);
    (async () => {
      for await (const e of client.jobs.events(id, { signal: abort.signal })) {
        if (e.type === "epoch") {
          last = e.data as EpochEventData;
          c.epoch.push(last.epoch);
          c.trainLoss.push(last.trainLoss);
          c.validationLoss.push(last.validationLoss ?? null);
          c.metrics.push(last.metrics ?? {});
        } else if (e.type === "status") {
          status = (e.data as StatusEventData).status;
          onStatus(status);
        }
        frame ||= requestAnimationFrame(() => draw());
      }
    })().catch((error: unknown) => {
      if (!abort.signal.aborted) draw(error);
    });
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [id]);
  return curves;
}
