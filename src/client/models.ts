// /api/v1/models: the registry (models, versions, aliases, model files), predictions, evaluations and
// imports of ONNX files trained elsewhere.
import type { Alias, Evaluation, EvaluateRequest, Imported, Model, Page, PredictRequest, PredictResponse, RecommendRequest, RecommendResponse, ServingInput, SimilarItemsRequest, SimilarItemsResponse, Version } from "../api/schemas.js";
import type { Http } from "./http.js";
import { seg } from "./http.js";
import type { PageOptions } from "./pages.js";
import { paginate } from "./pages.js";

const model = (name: string) => `/api/v1/models/${seg(name)}`;

export class ModelsApi {
  constructor(private readonly http: Http) {}

  /** One page of models, oldest first. */
  list(page: PageOptions = {}): Promise<Page<Model>> {
    return this.http.json("GET", "/api/v1/models", { query: { ...page } });
  }

  /** Every model, fetching pages as the iteration needs them. */
  all(limit?: number): AsyncGenerator<Model> {
    return paginate((p) => this.list(p), limit);
  }

  /** A model: its latest version and aliases (`latest` included). */
  get(name: string): Promise<Model> {
    return this.http.json("GET", model(name));
  }

  /** One page of a model's versions, oldest first. */
  versions(name: string, page: PageOptions = {}): Promise<Page<Version>> {
    return this.http.json("GET", `${model(name)}/versions`, { query: { ...page } });
  }

  /** Every version of a model. */
  allVersions(name: string, limit?: number): AsyncGenerator<Version> {
    return paginate((p) => this.versions(name, p), limit);
  }

  /** One version, with its model card (`card.features`, `card.labels`, `card.metrics`, ...). */
  version(name: string, version: number): Promise<Version> {
    return this.http.json("GET", `${model(name)}/versions/${seg(version)}`);
  }

  /** The version's .onnx file. */
  async downloadArtifact(name: string, version: number): Promise<Uint8Array> {
    const response = await this.http.request("GET", `${model(name)}/versions/${seg(version)}/artifact`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * How the model is served: `{ batching: { maxBatchSize, maxQueueDelayMs, maxQueueSize, timeoutMs } }`
   * turns dynamic batching on (omitted fields take their defaults), `{}` off.
   * @example await client.models.setServing("wine", { batching: { maxBatchSize: 32, maxQueueDelayMs: 2 } })
   */
  setServing(name: string, serving: ServingInput): Promise<Model> {
    return this.http.json("PUT", `${model(name)}/serving`, { json: serving });
  }

  /** Points `alias` (not `latest`) at a version. */
  setAlias(name: string, alias: string, version: number): Promise<Alias> {
    return this.http.json("PUT", `${model(name)}/aliases/${seg(alias)}`, { json: { version } });
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.http.empty("DELETE", `${model(name)}/aliases/${seg(alias)}`);
  }

  /** Deletes a version (a conflict while an alias points at it). */
  deleteVersion(name: string, version: number): Promise<void> {
    return this.http.empty("DELETE", `${model(name)}/versions/${seg(version)}`);
  }

  /** Deletes a model with all its versions and aliases. */
  delete(name: string): Promise<void> {
    return this.http.empty("DELETE", model(name));
  }

  /**
   * Predictions for `instances` ({feature: value}; null for a missing value) by a version, an alias,
   * or else `production` if set, else `latest`.
   * @example await client.models.predict("wine", { instances: [{ alcohol: 12.1, colour: "red" }], alias: "production" })
   */
  predict(name: string, request: PredictRequest): Promise<PredictResponse> {
    return this.http.json("POST", `${model(name)}/predict`, { json: request });
  }

  /**
   * A recommender's best items for a user (its training items left out unless `excludeSeen: false`);
   * an unknown user gets the most popular items, with `fallback: "popularity"`.
   * @example const { items } = await client.models.recommend("movies", { user: "u42", k: 10 })
   */
  recommend(name: string, request: RecommendRequest): Promise<RecommendResponse> {
    return this.http.json("POST", `${model(name)}/recommend`, { json: request });
  }

  /** A recommender's items most like `item` (cosine of their factors). */
  similarItems(name: string, request: SimilarItemsRequest): Promise<SimilarItemsResponse> {
    return this.http.json("POST", `${model(name)}/similar-items`, { json: request });
  }

  /** The task's metrics of a version on a stored dataset (id or name) with the target column. */
  evaluate(name: string, request: EvaluateRequest): Promise<Evaluation> {
    return this.http.json("POST", `${model(name)}/evaluate`, { json: request });
  }

  /** Registers an ONNX file trained elsewhere (or downloaded) as a new version of model `name`. */
  importOnnx(name: string, onnx: Uint8Array): Promise<Imported> {
    return this.http.json("POST", "/api/v1/models/import", { query: { name }, body: onnx as RequestInit["body"], contentType: "application/octet-stream" });
  }
}
