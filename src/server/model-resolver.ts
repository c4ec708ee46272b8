// Which model version a request means, and where its file is: by number, by alias, else
// `production` if set, else `latest`. Shared by the model API and the Open Inference Protocol.
//
// What a request resolves to is kept for a second: resolving costs store reads and a file-system
// call, and a hot model is asked many times a second. Changes made through this server clear a
// model's entries at once (`forget`); others (a job that registers a new latest version, another
// replica moving an alias) show within a second.
import { MaasError } from "../errors.js";
import type { BlobStore } from "../registry/blob-store.js";
import type { MetadataStore, ModelRecord, VersionRecord } from "../registry/store.js";
import type { ModelRef } from "../serving/prediction-pool.js";

/** A request's choice of version: a number or an alias (neither: the default). */
export interface VersionSelector {
  version?: number;
  alias?: string;
}

export interface Resolved {
  model: ModelRecord;
  version: VersionRecord;
  /** The version's file, for the prediction pool. */
  ref: ModelRef;
}

const TTL_MS = 1000;
const KEEP = 10_000;

export class ModelResolver {
  private readonly cache = new Map<string, { at: number; value: Promise<Resolved> }>();

  constructor(
    private readonly store: MetadataStore,
    private readonly blobs: BlobStore,
  ) {}

  async model(tenant: string, name: string): Promise<ModelRecord> {
    const m = await this.store.getModel(tenant, name);
    if (!m) throw new MaasError("not_found", `no model '${name}'`);
    return m;
  }

  async version(tenant: string, name: string, version: number): Promise<VersionRecord> {
    const v = await this.store.getVersion(tenant, name, version);
    if (!v) throw new MaasError("not_found", `model '${name}' has no version ${version}`);
    return v;
  }

  /** The version a request names (uncached). */
  async select(tenant: string, name: string, sel: VersionSelector): Promise<{ model: ModelRecord; version: VersionRecord }> {
    const model = await this.model(tenant, name);
    if (sel.version !== undefined && sel.alias !== undefined) throw new MaasError("bad_input", "give a version or an alias, not both");
    if (sel.version !== undefined) return { model, version: await this.version(tenant, name, sel.version) };
    const alias = sel.alias ?? ((await this.store.resolveAlias(tenant, name, "production")) !== undefined ? "production" : "latest");
    const number = await this.store.resolveAlias(tenant, name, alias);
    if (number === undefined) throw new MaasError("not_found", `model '${name}' has no alias '${alias}'`);
    return { model, version: await this.version(tenant, name, number) };
  }

  /** The pool's reference to a version's file: its key is unique per version content. */
  async ref(v: VersionRecord): Promise<ModelRef> {
    return { key: `${v.tenant}/${v.model}/${v.version}/${v.sha256}`, path: await this.blobs.localPath(v.artifact), name: `${v.model} v${v.version}` };
  }

  /** The version a request names and its file, cached for a second. */
  resolve(tenant: string, name: string, sel: VersionSelector): Promise<Resolved> {
    const key = `${tenant}\u0000${name}\u0000${sel.version ?? ""}\u0000${sel.alias ?? ""}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const value = (async () => {
      const { model, version } = await this.select(tenant, name, sel);
      return { model, version, ref: await this.ref(version) };
    })();
    value.catch(() => this.cache.delete(key));
    if (this.cache.size > KEEP) this.cache.clear();
    this.cache.set(key, { at: Date.now(), value });
    return value;
  }

  /** Drops what is cached about a model, after a change to it. */
  forget(tenant: string, name: string): void {
    const prefix = `${tenant}\u0000${name}\u0000`;
    for (const k of this.cache.keys()) if (k.startsWith(prefix)) this.cache.delete(k);
  }
}

/** The pool key prefix of every version of a model: for unloading them all. */
export function modelKeyPrefix(tenant: string, name: string): string {
  return `${tenant}/${name}/`;
}
