import type { Tensor } from "./tensor.js";

/** How a session runs: thread pools and graph optimisation. */
export interface SessionOptions {
  /** Threads for one operator (intra-op pool); 0 lets the runtime choose. */
  threads?: number;
  /** Whether idle pool threads spin; off is kinder to a shared machine, on is faster for tight loops. */
  spinning?: boolean;
  /** Graph optimisation level; "all" unless a test needs the graph as written. */
  optimization?: "disabled" | "basic" | "extended" | "all";
}

/** One loaded model, ready to run. */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model; returns the requested outputs (all of them when `fetch` is omitted). Outputs
   * named in `into` are written into those tensors (which must have the output's exact shape)
   * instead of new ones: a training loop swaps two sets of buffers and allocates nothing per step.
   */
  run(feeds: Record<string, Tensor>, fetch?: readonly string[], into?: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** An ONNX execution backend (ONNX Runtime for Node now; the web build later). */
export interface Runtime {
  createSession(model: Uint8Array, options?: SessionOptions): Promise<Session>;
}
