// A classifier's confusion matrix on the whole dataset its version was trained from.
import type { Version } from "../../api/schemas.js";
import { useSession } from "../session.js";
import { useLoad } from "../components/async.js";
import { ErrorMessage, Loading, num } from "../components/feedback.js";

export function ConfusionMatrix({ name, version }: { name: string; version: Version }) {
  const { client } = useSession();
  const evaluation = useLoad(() => client.models.evaluate(name, { version: version.version, dataset: version.dataset! }), [name, version.version]);
  const e = evaluation.data;
  return (
    <>
      <p class="hint">
        On the whole dataset v{version.version} was trained from (training and validation rows together), so it flatters the model.
      </p>
      <ErrorMessage error={evaluation.error} />
      {!e ? (
        evaluation.loading && <Loading what="the evaluation" />
      ) : (
        <>
          <p>
            {e.rows} rows
            {Object.entries(e.metrics).map(([k, v]) => ` · ${k} ${num(v)}`)}
          </p>
          {e.labels && e.confusion && (
            <div class="table-scroll" tabIndex={0} role="region" aria-label="Confusion matrix">
              <table class="confusion">
                <caption>Rows: true class; columns: predicted class</caption>
                <thead>
                  <tr>
                    <td />
                    {e.labels.map((l) => (
                      <th scope="col" class="num" key={l}>
                        predicted {l}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {e.confusion.map((row, i) => (
                    <tr key={e.labels![i]}>
                      <th scope="row">true {e.labels![i]}</th>
                      {row.map((n, j) => (
                        <td class={i === j ? "num hit" : "num"} key={j}>
                          {n}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
