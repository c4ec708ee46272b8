// What the model pages read besides the API's own shapes: a version's model card, and the loss
// curve of the job that trained it.
import type { EpochEventData, Model, Version } from "../../api/schemas.js";
import type { MaasClient } from "../../client/client.js";
import type { ModelCard } from "../../models/card.js";
import { all } from "../components/async.js";

/**
 * A version's model card (the API types it `unknown`: the server validated it when it was written);
 * null for an ONNX file imported without one.
 */
export function cardOf(version: Version): ModelCard | null {
  return (version.card as ModelCard | null) ?? null;
}

/** The aliases of `model` that point at `version`, `latest` left out (it always follows the newest). */
export function aliasesOf(model: Model, version: number): string[] {
  return Object.entries(model.aliases)
    .filter(([alias, v]) => v === version && alias !== "latest")
    .map(([alias]) => alias)
    .sort();
}

/** The version a page shows when none is asked for: `production` if set, else the newest. */
export function defaultVersion(model: Model): number {
  return model.aliases.production ?? model.latestVersion;
}

/** A model with every version, newest first. */
export async function loadModel(client: MaasClient, name: string): Promise<{ model: Model; versions: Version[] }> {
  const [model, versions] = await Promise.all([client.models.get(name), all(client.models.allVersions(name))]);
  return { model, versions: versions.sort((a, b) => b.version - a.version) };
}

/** The `epoch` events of a finished job, replayed from its start, in epoch order. */
export async function epochsOf(client: MaasClient, jobId: string): Promise<EpochEventData[]> {
  const epochs: EpochEventData[] = [];
  for await (const e of client.jobs.events(jobId)) if (e.type === "epoch") epochs.push(e.data as EpochEventData);
  return epochs.sort((a, b) => a.epoch - b.epoch);
}
