// Routes in the URL's hash (#/models/wine?version=2): the server serves one index.html for them all.
import { useEffect, useState } from "preact/hooks";

export interface Route {
  /** Path segments, decoded: "#/models/wine" -> ["models", "wine"]. */
  path: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?", 2);
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/** The current route, re-rendering on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

/** A hash link: href("models", name) -> "#/models/<name, escaped>"; a last object argument is the query. */
export function href(...parts: (string | number | Record<string, string | number | undefined>)[]): string {
  const last = parts[parts.length - 1];
  const query = typeof last === "object" ? (parts.pop() as Record<string, string | number | undefined>) : {};
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();
  return `#/${(parts as (string | number)[]).map((p) => encodeURIComponent(String(p))).join("/")}${qs ? `?${qs}` : ""}`;
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, "");
}
