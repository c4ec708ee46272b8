// One model: its versions compared (metrics, training curves), aliases, and the selected version's
// card, ONNX file and, for classifiers, confusion matrix.
import { useState } from "preact/hooks";
import { useSession } from "../session.js";
import { href } from "../router.js";
import { useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading } from "../components/feedback.js";
import { cardOf, defaultVersion, loadModel } from "./model-data.js";
import { VersionTable } from "./model-versions.js";
import { CompareCurves } from "./model-compare.js";
import { ModelCardView } from "./model-card.js";
import { ConfusionMatrix } from "./model-confusion.js";
import "./model.css";

export function ModelPage({ name }: { name: string }) {
  const session = useSession();
  const { client } = session;
  const loaded = useLoad(() => loadModel(client, name), [name]);
  const [selected, setSelected] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [done, setDone] = useState<string | undefined>();

  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    setActionError(undefined);
    setDone(undefined);
    try {
      setDone(await what());
      loaded.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const download = (version: number) =>
    act(async () => {
      const bytes = await client.models.downloadArtifact(name, version);
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${name}-v${version}.onnx`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return `Downloaded ${name}-v${version}.onnx (${bytes.length} bytes).`;
    });

  const promote = (version: number) =>
    act(async () => {
      await client.models.setAlias(name, "production", version);
      return `v${version} is now production.`;
    });
  const removeAlias = (alias: string) =>
    act(async () => {
      await client.models.deleteAlias(name, alias);
      return `Alias ${alias} removed.`;
    });

  // useLoad keeps the previous model while the next one loads: never show one under another's name.
  const data = loaded.data?.model.name === name ? loaded.data : undefined;
  if (!data) {
    return (
      <>
        <h1>Model {name}</h1>
        <ErrorMessage error={loaded.error} />
        {loaded.loading && <Loading what={`model ${name}`} />}
      </>
    );
  }
  const { model, versions } = data;
  const shown = versions.find((v) => v.version === (selected ?? defaultVersion(model))) ?? versions[0];
  const canWrite = session.can("write");
  return (
    <>
      <div class="row model-head">
        <h1>Model {name}</h1>
        <a class="button" href={href("playground", name, { version: shown?.version })}>
          Try v{shown?.version} in the playground
        </a>
      </div>
      <ErrorMessage error={actionError ?? loaded.error} />
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions.length === 0 ? (
          <Empty title="No versions" />
        ) : (
          <VersionTable
            model={model}
            versions={versions}
            actions={{
              selected: shown.version,
              onSelect: setSelected,
              // Pinned: the card shown stays put when `production` (which picks the default) moves.
              onPromote: canWrite ? (v) => (setSelected(shown.version), promote(v)) : undefined,
              onRemoveAlias: canWrite ? (alias) => (setSelected(shown.version), removeAlias(alias)) : undefined,
              onDownload: download,
              busy,
            }}
          />
        )}
        {!canWrite && <p class="hint">Your key may read but not change aliases (that needs the write scope).</p>}
      </section>
      <section aria-labelledby="curves-title">
        <h2 id="curves-title">Training curves compared</h2>
        <CompareCurves versions={versions} />
      </section>
      {shown && (
        <section aria-labelledby="card-title">
          <h2 id="card-title">Model card of v{shown.version}</h2>
          <ModelCardView version={shown} />
          {cardOf(shown)?.task === "classification" && shown.dataset && (
            <>
              <h3>Confusion matrix of v{shown.version}</h3>
              {session.can("predict") ? <ConfusionMatrix name={name} version={shown} /> : <p class="hint">Evaluating a model needs a key with the predict scope.</p>}
            </>
          )}
        </section>
      )}
    </>
  );
}
