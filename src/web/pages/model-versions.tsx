// A model's versions side by side: their metrics as columns, the aliases pointing at each, and what
// can be done with one (show its card, promote it to production, download its ONNX file).
import type { Model, Version } from "../../api/schemas.js";
import { num, when } from "../components/feedback.js";
import { aliasesOf, cardOf } from "./model-data.js";

export interface VersionActions {
  selected: number;
  onSelect: (version: number) => void;
  /** Absent when the key may not change aliases (write scope). */
  onPromote?: (version: number) => void;
  onRemoveAlias?: (alias: string) => void;
  onDownload: (version: number) => void;
  busy: boolean;
}

export function VersionTable({ model, versions, actions }: { model: Model; versions: Version[]; actions: VersionActions }) {
  const metrics = [...new Set(versions.flatMap((v) => Object.keys(cardOf(v)?.metrics ?? {})))].sort();
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Versions table">
      <table class="model-versions">
        <caption class="visually-hidden">Versions of {model.name} with their metrics and aliases</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              Version
            </th>
            <th scope="col">Source</th>
            <th scope="col">Created</th>
            {metrics.map((m) => (
              <th scope="col" class="num" key={m}>
                {m}
              </th>
            ))}
            <th scope="col">Aliases</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} aria-current={v.version === actions.selected ? "true" : undefined} class={v.version === actions.selected ? "selected" : undefined}>
              <td class="num">v{v.version}</td>
              <td>{v.source}</td>
              <td>{when(v.createdAt)}</td>
              {metrics.map((m) => (
                <td class="num" key={m}>
                  {num(cardOf(v)?.metrics[m])}
                </td>
              ))}
              <td>
                <Aliases aliases={aliasesOf(model, v.version)} version={v.version} onRemove={actions.onRemoveAlias} busy={actions.busy} />
              </td>
              <td>
                <div class="row">
                  <button
                    type="button"
                    class="secondary"
                    disabled={v.version === actions.selected}
                    onClick={() => actions.onSelect(v.version)}
                    aria-label={v.version === actions.selected ? `Card of v${v.version} shown below` : `Show card of v${v.version}`}
                  >
                    {v.version === actions.selected ? "Shown below" : "Show card"}
                  </button>
                  {actions.onPromote && model.aliases.production !== v.version && (
                    <button type="button" disabled={actions.busy} onClick={() => actions.onPromote!(v.version)} aria-label={`Promote to production v${v.version}`}>
                      Promote to production
                    </button>
                  )}
                  <button type="button" class="secondary" disabled={actions.busy} onClick={() => actions.onDownload(v.version)} aria-label={`Download ONNX of v${v.version}`}>
                    Download ONNX
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Aliases({ aliases, version, onRemove, busy }: { aliases: string[]; version: number; onRemove?: (alias: string) => void; busy: boolean }) {
  if (aliases.length === 0) return <>–</>;
  return (
    <>
      {aliases.map((a) => (
        <span class="alias" key={a}>
          <code>{a}</code>
          {onRemove && (
            <button type="button" class="danger" disabled={busy} onClick={() => onRemove(a)} aria-label={`Remove alias ${a} from v${version}`}>
              Remove
            </button>
          )}
        </span>
      ))}
    </>
  );
}
