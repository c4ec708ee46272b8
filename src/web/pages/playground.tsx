// Try a model: a form made from its model card (or an image to upload or draw), its prediction, and
// for a regression on one numeric feature, the fitted line over the training data.
import { useSession } from "../session.js";
import { href, navigate } from "../router.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading } from "../components/feedback.js";
import { cardOf, defaultVersion, loadModel } from "./model-data.js";
import { FeatureForm } from "./playground-form.js";
import { FitPlot } from "./playground-fit.js";
import { ImagePlayground } from "./playground-image.js";
import { RecommendPlayground } from "./playground-recommend.js";
import { TextPlayground } from "./playground-text.js";
import "./playground.css";

export function PlaygroundPage({ name, version }: { name?: string; version?: string }) {
  const session = useSession();
  if (!session.can("predict")) {
    return (
      <>
        <h1>Playground</h1>
        <Empty title="Predictions need the predict scope">
          <p>Your key has the scopes {session.whoami.scopes.join(", ")}. Sign in with a key that may predict.</p>
        </Empty>
      </>
    );
  }
  return name ? <ModelPlayground name={name} version={version} /> : <PickModel />;
}

function PickModel() {
  const { client } = useSession();
  const models = useLoad(() => all(client.models.all()), []);
  return (
    <>
      <h1>Playground</h1>
      <ErrorMessage error={models.error} />
      {models.data === undefined ? (
        models.loading && <Loading what="models" />
      ) : models.data.length === 0 ? (
        <Empty title="No models to try yet">
          <p>
            <a href={href("train")}>Train a model</a> first.
          </p>
        </Empty>
      ) : (
        <section aria-labelledby="pick-title">
          <h2 id="pick-title">Choose a model to try</h2>
          <ul>
            {models.data.map((m) => (
              <li key={m.name}>
                <a href={href("playground", m.name)}>{m.name}</a> <span class="hint">(latest v{m.latestVersion})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function ModelPlayground({ name, version }: { name: string; version?: string }) {
  const { client } = useSession();
  const loaded = useLoad(() => loadModel(client, name), [name]);
  // useLoad keeps the previous model while the next one loads: never show one under another's name.
  const data = loaded.data?.model.name === name ? loaded.data : undefined;
  if (!data) {
    return (
      <>
        <h1>Playground: {name}</h1>
        <ErrorMessage error={loaded.error} />
        {loaded.loading && <Loading what={`model ${name}`} />}
      </>
    );
  }
  const { model, versions } = data;
  const wanted = version !== undefined ? Number(version) : defaultVersion(model);
  const shown = versions.find((v) => v.version === wanted);
  const card = shown ? cardOf(shown) : null;
  return (
    <>
      <h1>Playground: {name}</h1>
      <div class="row playground-head">
        <div class="playground-pick">
          <label for="playground-version">Version</label>
          <select id="playground-version" value={shown?.version ?? ""} onChange={(e) => navigate(href("playground", name, { version: e.currentTarget.value }))}>
            {!shown && <option value="">(choose)</option>}
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {Object.entries(model.aliases)
                  .filter(([alias, to]) => to === v.version && alias !== "latest")
                  .map(([alias]) => ` (${alias})`)
                  .join("")}
              </option>
            ))}
          </select>
        </div>
        <a href={href("models", name)}>Versions, card and metrics of {name}</a>
      </div>
      {!shown ? (
        <Empty title={`${name} has no version ${version}`}>Choose one of its versions above.</Empty>
      ) : !card ? (
        <Empty title="No model card">This version was imported without an OpenMaaS card: call it over the /v2 protocol instead.</Empty>
      ) : card.sequence ? (
        <Empty title="Sequence models are not in the playground">Send sequences with the API or the CLI (maas remote predict).</Empty>
      ) : card.recommender ? (
        <section aria-labelledby="try-title">
          <h2 id="try-title">Recommend with v{shown.version}</h2>
          <RecommendPlayground key={`${name}@${shown.version}`} name={name} version={shown.version} card={card} />
        </section>
      ) : (
        <>
          <section aria-labelledby="try-title">
            <h2 id="try-title">
              Predict {card.target} with v{shown.version}
            </h2>
            {card.image ? (
              <ImagePlayground key={`${name}@${shown.version}`} name={name} version={shown.version} card={card} />
            ) : card.text ? (
              <TextPlayground key={`${name}@${shown.version}`} name={name} version={shown.version} card={card} />
            ) : (
              <FeatureForm key={`${name}@${shown.version}`} name={name} version={shown.version} card={card} />
            )}
          </section>
          {card.task === "regression" && card.features.length === 1 && card.features[0].type === "numeric" && shown.dataset && (
            <section aria-labelledby="fit-title">
              <h2 id="fit-title">The fit over the training data</h2>
              <FitPlot name={name} version={shown} card={card} />
            </section>
          )}
        </>
      )}
    </>
  );
}
