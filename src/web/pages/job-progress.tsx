// What the jobs pages show of a job's state: its epoch progress, read from `job.progress` or the last
// epoch event, and a clock for running jobs.
import { useEffect, useState } from "preact/hooks";
import type { Job } from "../../api/schemas.js";

export const ACTIVE = new Set(["queued", "running"]);

/** The epoch a job reported last, if any. */
export function epochOf(progress: unknown): { epoch: number; epochs: number } | undefined {
  const p = progress as { epoch?: unknown; epochs?: unknown } | null;
  return p && typeof p.epoch === "number" && typeof p.epochs === "number" ? { epoch: p.epoch, epochs: p.epochs } : undefined;
}

/** Re-renders every `ms` while `on` (durations of running jobs). */
export function useTick(on: boolean, ms = 1000): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setTick((t) => t + 1), ms);
    return () => clearInterval(timer);
  }, [on, ms]);
}

export function Status({ status }: { status: Job["status"] }) {
  return <span class={`status ${status}`}>{status}</span>;
}
