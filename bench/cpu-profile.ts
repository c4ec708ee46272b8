// Reading a V8 CPU profile (`node --cpu-prof`): main-thread milliseconds spent inside named functions.
import { readFileSync } from "node:fs";

export interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Matches frames by function name. */
export const named =
  (name: string) =>
  (f: CallFrame): boolean =>
    f.functionName === name;

/**
 * Inclusive milliseconds of each phase (samples with a matching frame anywhere on the stack, counted
 * once per sample), plus "(total)". Resumed async functions start a fresh stack, so a caller's time
 * after its first `await` is not counted in its own caller.
 */
export function inclusiveMs(path: string, phases: Record<string, (f: CallFrame) => boolean>): Map<string, number> {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const entries = Object.entries(phases);
  const ms = new Map<string, number>([...entries.map(([label]) => label), "(total)"].map((n) => [n, 0]));
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    ms.set("(total)", ms.get("(total)")! + dt);
    const frames: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) frames.push(byId.get(cur)!.callFrame);
    for (const [label, match] of entries) if (frames.some(match)) ms.set(label, ms.get(label)! + dt);
  });
  return ms;
}
