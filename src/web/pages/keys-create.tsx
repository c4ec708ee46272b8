// Creating an API key: a name and scopes in, the secret out, shown this once.
import { useState } from "preact/hooks";
import type { CreatedKey } from "../../api/schemas.js";
import { useSession } from "../session.js";
import { ErrorMessage } from "../components/feedback.js";

const SCOPES = [
  { scope: "admin", help: "everything, keys included" },
  { scope: "write", help: "upload, train, change models (and read)" },
  { scope: "predict", help: "predictions and evaluations" },
  { scope: "read", help: "list and read" },
] as const;
type Scope = (typeof SCOPES)[number]["scope"];

export function CreateKey({ onCreated }: { onCreated: () => void }) {
  const { client } = useSession();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["predict"]);
  const [created, setCreated] = useState<CreatedKey | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | undefined>();

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setCopied(undefined);
    try {
      setCreated(await client.keys.create({ name: name.trim(), scopes }));
      setName("");
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (scope: Scope, on: boolean) => setScopes((s) => (on ? [...s, scope] : s.filter((x) => x !== scope)));
  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("The browser refused the clipboard: select the key and copy it by hand.");
    }
  };

  return (
    <>
      <form onSubmit={submit}>
        <label for="key-name">Name</label>
        <input id="key-name" type="text" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. ci or mobile-app" />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map(({ scope, help }) => (
            <div key={scope} class="keys-scope">
              <input id={`scope-${scope}`} type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.currentTarget.checked)} />
              <label for={`scope-${scope}`}>
                {scope} <span class="hint">— {help}</span>
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" disabled={busy || name.trim() === "" || scopes.length === 0}>
          {busy ? "Creating…" : "Create key"}
        </button>
        {scopes.length === 0 && <p class="hint">Choose at least one scope.</p>}
      </form>
      <ErrorMessage error={error} />
      {created && (
        <div class="notice keys-secret" role="status">
          <p>
            <strong>Key “{created.name}” created.</strong> Copy it now: it will not be shown again.
          </p>
          <div class="row">
            <code class="keys-value">{created.key}</code>
            <button type="button" onClick={() => void copy(created.key)}>
              Copy key
            </button>
          </div>
          {copied && <p>{copied}</p>}
        </div>
      )}
    </>
  );
}
