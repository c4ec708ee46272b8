// One training child process seen from the server: start it with a job, hear its epochs, learn how
// it ended (a result, a reported error, or an exit without either), and kill it.
import type { ChildProcess } from "node:child_process";
import { fork } from "node:child_process";
import type { EpochReport } from "../models/trainer.js";
import type { TrainRequest } from "./messages.js";
import { ChildMessageSchema } from "./messages.js";

/** How a child's work ended: the first of a result, a reported error, or its exit. */
export type Outcome =
  | { kind: "done"; card: { metrics: Record<string, number> } }
  | { kind: "error"; code: string; message: string }
  | { kind: "exit"; code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** Bytes of the child's stderr kept for the failure message. */
const STDERR_TAIL = 4096;
/** How long after its exit a child's IPC channel may take to deliver its last messages. */
const CHANNEL_DRAIN_MS = 1000;

export class TrainingProcess {
  /** The first of done, error or exit. */
  readonly outcome: Promise<Outcome>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  private stderr = "";
  private hasExited = false;

  private constructor(
    private readonly child: ChildProcess,
    onEpoch: (report: EpochReport) => void,
  ) {
    let settle!: (o: Outcome) => void;
    let settled = false;
    this.outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    const end = (o: Outcome): void => {
      if (!settled) settle(o);
      settled = true;
    };
    // A child's last messages can still be in the IPC pipe when 'exit' fires: the exit counts once
    // the channel has closed too (or a moment later, should it not).
    this.exited = new Promise<void>((resolve) => {
      const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.hasExited = true;
        end({ kind: "exit", code, signal, stderr: this.stderr });
        resolve();
      };
      child.once("exit", (code, signal) => {
        if (!child.connected) return exited(code, signal);
        const timer = setTimeout(() => exited(code, signal), CHANNEL_DRAIN_MS);
        child.once("disconnect", () => {
          clearTimeout(timer);
          exited(code, signal);
        });
      });
      // Spawn failures: there is no process, so no 'exit' either.
      child.once("error", (e) => {
        if (child.pid !== undefined) return;
        end({ kind: "error", code: "internal", message: `could not start the training process: ${e.message}` });
        this.hasExited = true;
        resolve();
      });
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on("message", (raw: unknown) => {
      if (settled) return;
      const m = ChildMessageSchema.safeParse(raw);
      if (!m.success) return end({ kind: "error", code: "internal", message: "the training process sent a message the server does not understand" });
      if (m.data.type === "epoch") onEpoch(m.data.report);
      else if (m.data.type === "done") end({ kind: "done", card: m.data.card });
      else end({ kind: "error", code: m.data.code, message: m.data.message });
    });
    // IPC failures (a send to a process that is gone): 'exit' tells the rest.
    child.on("error", () => undefined);
  }

  /** Forks `entry` (a compiled train-child.js) and sends it the job. */
  static start(entry: string, request: TrainRequest, onEpoch: (report: EpochReport) => void, execArgv: string[] = []): TrainingProcess {
    const child = fork(entry, [], { serialization: "advanced", stdio: ["ignore", "ignore", "pipe", "ipc"], execArgv });
    const p = new TrainingProcess(child, onEpoch);
    if (child.pid !== undefined) child.send(request, (e) => e && child.kill("SIGKILL"));
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && !this.hasExited;
  }

  /** Asks the process to end (SIGTERM), forces it (SIGKILL) after `graceMs`; resolves when it is gone. */
  async kill(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    await this.waitOrKill(graceMs);
  }

  /** Lets the process exit by itself for up to `graceMs` (after its last message), then kills it. */
  async settle(graceMs: number): Promise<void> {
    if (!this.running) return;
    if (!(await this.exitsWithin(graceMs))) await this.kill(graceMs);
  }

  private async waitOrKill(graceMs: number): Promise<void> {
    if (!(await this.exitsWithin(graceMs))) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const exited = this.exited.then(() => true as const);
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What a person can do about a child that exited without a result. */
export function describeExit(o: Extract<Outcome, { kind: "exit" }>): string {
  const hint = o.signal === "SIGKILL" ? " (out of memory?)" : o.signal === "SIGSEGV" || o.signal === "SIGBUS" || o.signal === "SIGABRT" ? " (a native crash)" : "";
  const how = o.signal ? `was killed by ${o.signal}${hint}` : `exited with code ${o.code} before reporting a result`;
  const lines = o.stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const telling = lines.find((l) => /FATAL ERROR|out of memory/i.test(l)) ?? lines.at(-1);
  return `the training process ${how}${telling ? `: ${telling}` : ""}`;
}
