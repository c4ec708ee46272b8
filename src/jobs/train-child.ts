// The entry point of a training child process (started by LocalQueue with child_process.fork): it
// receives one job, trains it, writes the model file and reports to the parent over IPC. It never
// touches the metadata store; the parent records everything.
import { looksLikeImages, readImages } from "../data/image-read.js";
import { readTable } from "../data/read.js";
import { MaasError, isMaasError } from "../errors.js";
import type { ModelCard } from "../models/card.js";
import { TabularSpecSchema, isLanguageKind, isRecommenderKind, isTextSpec } from "../models/spec.js";
import { trainText } from "../models/text.js";
import { trainLanguageTable } from "../models/language.js";
import { trainRecommender } from "../models/recommender.js";
import { trainImages } from "../models/images.js";
import { isSequenceKind, trainSequenceTable } from "../models/sequences.js";
import { trainTable } from "../models/tabular.js";
import type { EpochReport } from "../models/trainer.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ChildMessage, TrainRequest } from "./messages.js";
import { TrainRequestSchema } from "./messages.js";

/** Trains the requested model and writes it to `outPath`; returns the model card. */
async function train(request: TrainRequest): Promise<ModelCard> {
  const spec = TabularSpecSchema.safeParse(request.spec);
  if (!spec.success) {
    const issues = spec.error.issues.map((i) => `${i.path.join(".") || "spec"}: ${i.message}`).join("; ");
    throw new MaasError("bad_input", `the job's spec is not valid (${issues})`);
  }
  const onEpoch = (report: EpochReport) => send({ type: "epoch", report });
  let result: { onnx: Uint8Array; card: ModelCard };
  if (await looksLikeImages(request.datasetPath)) {
    result = await trainImages({ ...(await readImages(request.datasetPath)), source: request.datasetName }, spec.data.model, spec.data.training, { onEpoch });
  } else {
    const table = { ...(await readTable(request.datasetPath)), source: request.datasetName };
    const kind = spec.data.model.kind;
    if (isLanguageKind(kind)) result = await trainLanguageTable(table, spec.data, { onEpoch });
    else if (isRecommenderKind(kind)) result = await trainRecommender(table, spec.data, { onEpoch });
    else if (isTextSpec(spec.data)) result = await trainText(table, spec.data, { onEpoch });
    else result = isSequenceKind(kind) ? await trainSequenceTable(table, spec.data, { onEpoch }) : await trainTable(table, spec.data, { onEpoch });
  }
  await writeFileAtomic(request.outPath, result.onnx);
  return result.card;
}

/** An error as the parent reports it: MaasErrors keep their code, the dataset is named, not its path. */
function errorMessage(e: unknown, request: TrainRequest | undefined): ChildMessage {
  const raw = e instanceof Error ? e.message : String(e);
  const message = request ? raw.split(request.datasetPath).join(request.datasetName) : raw;
  return { type: "error", code: isMaasError(e) ? e.code : "internal", message };
}

function send(message: ChildMessage): void {
  process.send!(message);
}

/** Sends the last message and exits once it has left the process. */
function finish(message: ChildMessage, exitCode: number): void {
  process.send!(message, undefined, {}, () => process.exit(exitCode));
}

async function main(raw: unknown): Promise<void> {
  let request: TrainRequest | undefined;
  try {
    request = TrainRequestSchema.parse(raw);
    const card = await train(request);
    finish({ type: "done", card }, 0);
  } catch (e) {
    finish(errorMessage(e, request), 1);
  }
}

if (!process.send) {
  process.stderr.write("train-child runs as a child process of the OpenMaaS server (child_process.fork), not by itself\n");
  process.exit(2);
}
// The parent is gone (crashed or killed): nobody will record the result, so stop.
process.on("disconnect", () => process.exit(1));
process.once("message", (m: unknown) => void main(m));
