// Recommenders' routes: top-N lists for a user and items like an item. Unknown users and items get
// the fallback list (items ranked by their own term: μ + b_i for mf, the learnt item bias for bpr,
// popularity for popularity), marked `fallback: "popularity"`, never an error.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { RecommendRequestSchema, SimilarItemsRequestSchema } from "../../api/schemas.js";
import { MaasError } from "../../errors.js";
import type { ModelCard } from "../../models/card.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";
import type { VersionRecord } from "../../registry/store.js";

const NameParams = z.object({ name: z.string() });

/** The version's card, which must be a recommender's. */
function recommenderCard(v: VersionRecord): ModelCard {
  const card = v.card as ModelCard | null;
  if (!card?.recommender) throw new MaasError("unprocessable", `version ${v.version} of '${v.model}' is not a recommender (train an mf, bpr or popularity model)`);
  return card;
}

export function recommendRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post("/models/:name/recommend", { schema: { tags: ["predict"], params: NameParams, body: RecommendRequestSchema } }, async (request) => {
      const p = caller(request, "predict");
      const { name } = request.params as { name: string };
      const body = request.body as z.infer<typeof RecommendRequestSchema>;
      const { version, ref } = await s.models.resolve(p.tenant, name, body);
      recommenderCard(version);
      const answer = await s.pool.recommend(ref, [body.user], body.k, [body.filter?.exclude ?? []], body.excludeSeen, body.filter?.include);
      const [items, known] = [answer.lists[0], answer.known[0]];
      return { user: body.user, items, ...(known ? {} : { fallback: "popularity" as const }), model: { name, version: version.version } };
    });

    app.post("/models/:name/similar-items", { schema: { tags: ["predict"], params: NameParams, body: SimilarItemsRequestSchema } }, async (request) => {
      const p = caller(request, "predict");
      const { name } = request.params as { name: string };
      const body = request.body as z.infer<typeof SimilarItemsRequestSchema>;
      const { version, ref } = await s.models.resolve(p.tenant, name, body);
      const card = recommenderCard(version);
      if (card.recommender!.kind === "popularity") throw new MaasError("unprocessable", `'${name}' is a popularity model: it has no item factors to compare (train mf or bpr)`);
      const answer = await s.pool.similar(ref, [body.item], body.k);
      return { item: body.item, items: answer.lists[0], ...(answer.known[0] ? {} : { fallback: "popularity" as const }), model: { name, version: version.version } };
    });
  };
}
