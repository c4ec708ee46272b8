// Sign in with an API key; the server checks it (GET /api/v1/whoami) before anything is shown.
import { useState } from "preact/hooks";
import type { Session } from "../session.js";
import { signIn } from "../session.js";
import { ErrorMessage } from "../components/feedback.js";

export function SignIn({ refused, onSignedIn, onRefused }: { refused?: string; onSignedIn: (s: Session) => void; onRefused: (message: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(key.trim(), onRefused));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to OpenMaaS</h1>
      <p>Paste an API key. It stays in this browser tab only and is sent to this server alone.</p>
      {refused && (
        <p class="error" role="alert">
          You were signed out: {refused}.
        </p>
      )}
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
      <ErrorMessage error={error} />
      <p class="hint">
        No key yet? The first one is the administrator key the server was started with (<code>MAAS_ADMIN_KEY</code>); an administrator
        creates the others.
      </p>
    </section>
  );
}
