// API keys of the tenant (admin keys only): create one (its secret shown once), list, revoke.
import { useState } from "preact/hooks";
import { useSession } from "../session.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading, when } from "../components/feedback.js";
import { CreateKey } from "./keys-create.js";
import "./keys.css";

export function KeysPage() {
  const session = useSession();
  if (!session.can("admin")) {
    return (
      <>
        <h1>API keys</h1>
        <Empty title="Only administrators manage API keys">
          <p>Your key has the scopes {session.whoami.scopes.join(", ")}. Ask an administrator of {session.whoami.tenant} for a new key.</p>
        </Empty>
      </>
    );
  }
  return <AdminKeys />;
}

function AdminKeys() {
  const { client, whoami } = useSession();
  const keys = useLoad(() => all(client.keys.all()), []);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string | undefined>();

  const revoke = async (id: string, name: string) => {
    const self = id === whoami.keyId ? " This is the key you are signed in with: you will be signed out." : "";
    if (!confirm(`Revoke the key “${name}” (${id})? Requests with it will be refused from now on.${self}`)) return;
    setBusy(id);
    setError(undefined);
    try {
      await client.keys.revoke(id);
      keys.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <h1>API keys</h1>
      <section aria-labelledby="create-title">
        <h2 id="create-title">Create a key for {whoami.tenant}</h2>
        <CreateKey onCreated={keys.reload} />
      </section>
      <section aria-labelledby="list-title">
        <h2 id="list-title">Keys</h2>
        <ErrorMessage error={error ?? keys.error} />
        {keys.data === undefined ? (
          keys.loading && <Loading what="keys" />
        ) : keys.data.length === 0 ? (
          <Empty title="No keys" />
        ) : (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Keys table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Revoked</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id}>
                    <td>
                      {k.name}
                      {k.id === whoami.keyId && <span class="hint"> (this key)</span>}
                    </td>
                    <td>
                      <code>{k.id}</code>
                    </td>
                    <td>{k.scopes.join(", ")}</td>
                    <td>{when(k.createdAt)}</td>
                    <td>{k.revokedAt ? when(k.revokedAt) : "–"}</td>
                    <td>
                      {!k.revokedAt && (
                        <button type="button" class="danger" disabled={busy !== undefined} onClick={() => void revoke(k.id, k.name)} aria-label={`Revoke key ${k.name}`}>
                          {busy === k.id ? "Revoking…" : "Revoke"}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
