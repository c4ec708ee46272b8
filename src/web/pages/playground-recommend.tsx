// A recommender's playground: a user's best items (their training items left out, or not), and the
// items like one item; unknown ids get the fallback list, said so.
import { useState } from "preact/hooks";
import type { RecommendResponse, SimilarItemsResponse } from "../../api/schemas.js";
import type { ModelCard } from "../../models/card.js";
import { useSession } from "../session.js";
import { ErrorMessage, num } from "../components/feedback.js";

function Ranked({ title, answer }: { title: string; answer: RecommendResponse | SimilarItemsResponse }) {
  return (
    <div class="prediction" role="status">
      <p>
        <strong>{title}</strong>
        {answer.fallback && " — not in the training data: the most popular items instead"}
      </p>
      <ol>
        {answer.items.map((r) => (
          <li key={r.item}>
            <span class="prediction-value">{r.item}</span> <span class="hint">score {num(r.score)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function RecommendPlayground({ name, version, card }: { name: string; version: number; card: ModelCard }) {
  const { client } = useSession();
  const [user, setUser] = useState("");
  const [k, setK] = useState("10");
  const [excludeSeen, setExcludeSeen] = useState(true);
  const [item, setItem] = useState("");
  const [answer, setAnswer] = useState<RecommendResponse | undefined>();
  const [similar, setSimilar] = useState<SimilarItemsResponse | undefined>();
  const [error, setError] = useState<unknown>();
  const r = card.recommender!;

  const recommend = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setAnswer(await client.models.recommend(name, { version, user, k: Number(k), excludeSeen }));
    } catch (err) {
      setError(err);
    }
  };
  const like = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setSimilar(await client.models.similarItems(name, { version, item, k: Number(k) }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <p class="hint">
        {r.kind} on {r.users.toLocaleString()} users and {r.items.toLocaleString()} items ({r.feedback} feedback); ids as in the columns '{r.columns.user}' and '{r.columns.item}'.
      </p>
      <div class="grid">
        <form onSubmit={recommend}>
          <label for="rec-user">User</label>
          <input id="rec-user" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
          <label for="rec-k">How many items</label>
          <input id="rec-k" type="number" min={1} max={1000} required value={k} onInput={(e) => setK(e.currentTarget.value)} />
          <label for="rec-seen" class="train-check">
            <input id="rec-seen" type="checkbox" checked={excludeSeen} onChange={(e) => setExcludeSeen(e.currentTarget.checked)} /> Leave out the items the user already has
          </label>
          <p>
            <button type="submit">Recommend</button>
          </p>
        </form>
        <div>{answer && <Ranked title={`For ${answer.user}`} answer={answer} />}</div>
        {r.kind !== "popularity" && (
          <form onSubmit={like}>
            <label for="rec-item">Items like</label>
            <input id="rec-item" required value={item} onInput={(e) => setItem(e.currentTarget.value)} />
            <p>
              <button type="submit">Find similar items</button>
            </p>
          </form>
        )}
        <div>{similar && <Ranked title={`Like ${similar.item}`} answer={similar} />}</div>
      </div>
      <ErrorMessage error={error} />
    </>
  );
}
