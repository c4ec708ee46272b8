// The dashboard's shell: sign-in gate, navigation, and the page of the current route.
import { useEffect, useState } from "preact/hooks";
import type { Session } from "./session.js";
import { SessionContext, clientFor, forgetKey, sessionOf, storedKey } from "./session.js";
import { href, navigate, useRoute } from "./router.js";
import { SignIn } from "./pages/sign-in.js";
import { DatasetsPage } from "./pages/datasets.js";
import { DatasetPage } from "./pages/dataset.js";
import { TrainPage } from "./pages/train.js";
import { JobsPage } from "./pages/jobs.js";
import { JobPage } from "./pages/job.js";
import { ModelsPage } from "./pages/models.js";
import { ModelPage } from "./pages/model.js";
import { PlaygroundPage } from "./pages/playground.js";
import { KeysPage } from "./pages/keys.js";
import { Empty, Loading } from "./components/feedback.js";

const NAV = [
  { path: "datasets", label: "Datasets" },
  { path: "train", label: "Train" },
  { path: "jobs", label: "Jobs" },
  { path: "models", label: "Models" },
  { path: "keys", label: "API keys", admin: true },
];

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey() !== null);
  const [refused, setRefused] = useState<string | undefined>();
  const route = useRoute();

  const signOut = (why?: string) => {
    forgetKey();
    setSession(null);
    setRefused(why);
    navigate("#/");
  };

  // A key kept from earlier in this tab: check it again before showing anything.
  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    const client = clientFor(key, signOut);
    client.keys.whoami().then(
      (whoami) => setSession(sessionOf(key, client, whoami)),
      () => forgetKey(),
    ).finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    document.title = route.path.length ? `${route.path[0][0].toUpperCase()}${route.path[0].slice(1)} · OpenMaaS` : "OpenMaaS";
  }, [route.path.join("/")]);

  if (restoring) return <Loading what="your session" />;
  if (!session) {
    return (
      <main id="main">
        <SignIn refused={refused} onSignedIn={(s) => { setRefused(undefined); setSession(s); }} onRefused={signOut} />
      </main>
    );
  }
  const section = route.path[0] ?? "datasets";
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href("datasets")}>
          OpenMaaS
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || session.can("admin")).map((n) => (
              <li key={n.path}>
                <a href={href(n.path)} aria-current={section === n.path ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={`key ${session.whoami.keyId}`}>
            {session.whoami.tenant} · {session.whoami.scopes.join(", ")}
          </span>
          <button type="button" class="secondary" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={route.path} query={route.query} />
      </main>
    </SessionContext.Provider>
  );
}

function Page({ path, query }: { path: string[]; query: URLSearchParams }) {
  const [section, id] = path;
  switch (section ?? "datasets") {
    case "datasets":
      return id ? <DatasetPage id={id} /> : <DatasetsPage />;
    case "train":
      return <TrainPage dataset={query.get("dataset") ?? undefined} target={query.get("target") ?? undefined} />;
    case "jobs":
      return id ? <JobPage id={id} /> : <JobsPage />;
    case "models":
      return id ? <ModelPage name={id} /> : <ModelsPage />;
    case "playground":
      return <PlaygroundPage name={id} version={query.get("version") ?? undefined} />;
    case "keys":
      return <KeysPage />;
    default:
      return (
        <Empty title="No such page">
          <a href={href("datasets")}>Go to your datasets</a>
        </Empty>
      );
  }
}
