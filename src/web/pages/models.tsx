// The model registry: every model of the tenant with its newest version and aliases.
import { useSession } from "../session.js";
import { href } from "../router.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading, when } from "../components/feedback.js";
import type { Model } from "../../api/schemas.js";

export function ModelsPage() {
  const { client } = useSession();
  const models = useLoad(() => all(client.models.all()), []);
  return (
    <>
      <h1>Models</h1>
      <ErrorMessage error={models.error} />
      {models.data === undefined ? (
        models.loading && <Loading what="models" />
      ) : models.data.length === 0 ? (
        <Empty title="No models yet">
          <p>
            A model appears here when a training job succeeds. <a href={href("train")}>Train a model</a> on one of your datasets.
          </p>
        </Empty>
      ) : (
        <ModelTable models={models.data} />
      )}
    </>
  );
}

export function ModelTable({ models }: { models: Model[] }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Models table">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">
              Latest version
            </th>
            <th scope="col">Aliases</th>
            <th scope="col">Created</th>
            <th scope="col">Try it</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name}>
              <td>
                <a href={href("models", m.name)}>{m.name}</a>
              </td>
              <td class="num">{m.latestVersion}</td>
              <td>
                {Object.entries(m.aliases)
                  .filter(([alias]) => alias !== "latest")
                  .map(([alias, v]) => `${alias} → v${v}`)
                  .join(", ") || "–"}
              </td>
              <td>{when(m.createdAt)}</td>
              <td>
                <a href={href("playground", m.name)} aria-label={`Playground for ${m.name}`}>
                  Playground
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
