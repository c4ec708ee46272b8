// The messages between the server and a training child process, one schema per direction: the
// parent checks what a child sends before it acts on it.
import { z } from "zod";
import type { EpochReport } from "../models/trainer.js";

/** Parent -> child: the one job the child runs. */
export const TrainRequestSchema = z.object({
  jobId: z.string(),
  /** The job's TabularSpec (JSON); the child parses it again. */
  spec: z.unknown(),
  /** A local file with the dataset's bytes. */
  datasetPath: z.string(),
  /** The dataset's name, used in messages instead of the file's path. */
  datasetName: z.string(),
  /** Where the child writes the model file. */
  outPath: z.string(),
});

/** Child -> parent: progress, then exactly one of done or error. */
export const ChildMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("epoch"), report: z.custom<EpochReport>(isEpochReport, "not an epoch report") }),
  /** The model file is complete at `outPath`; `card` is its model card. */
  z.object({ type: z.literal("done"), card: z.looseObject({ metrics: z.record(z.string(), z.number().or(z.nan())) }) }),
  /** `code` is a MaasError code (bad_input for the user's mistakes) or internal. */
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);

export type TrainRequest = z.infer<typeof TrainRequestSchema>;
export type ChildMessage = z.infer<typeof ChildMessageSchema>;

function isEpochReport(r: unknown): r is EpochReport {
  const o = r as Partial<EpochReport> | null;
  return typeof o === "object" && o !== null && typeof o.epoch === "number" && typeof o.epochs === "number";
}
