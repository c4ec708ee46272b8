// Who is signed in: the API key (session storage: gone when the tab closes), what it may do, and the
// client that sends it. A key the server refuses (revoked, unknown) signs the user out.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { MaasClient } from "../client/client.js";
import type { WhoAmI } from "../api/schemas.js";

const STORAGE_KEY = "openmaas.key";

export interface Session {
  key: string;
  client: MaasClient;
  whoami: WhoAmI;
  /** Whether the key holds `scope` (admin holds all; write holds read). */
  can(scope: "admin" | "write" | "predict" | "read"): boolean;
}

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

/**
 * A client of this origin with `key`; `onRefused` runs when the server answers 401 (the key is
 * unknown or revoked).
 */
export function clientFor(key: string, onRefused: (message: string) => void): MaasClient {
  const guarded: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 401) {
      const body = (await response.clone().json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      onRefused(body?.error?.message ?? "the server refused the API key");
    }
    return response;
  };
  return new MaasClient({ url: location.origin, key, fetch: guarded });
}

/** Checks `key` with the server; stores it and answers the session when it is accepted. */
export async function signIn(key: string, onRefused: (message: string) => void): Promise<Session> {
  const client = clientFor(key, onRefused);
  const whoami = await client.keys.whoami();
  sessionStorage.setItem(STORAGE_KEY, key);
  return sessionOf(key, client, whoami);
}

export function sessionOf(key: string, client: MaasClient, whoami: WhoAmI): Session {
  const has = (s: string) => whoami.scopes.includes(s as WhoAmI["scopes"][number]);
  return {
    key,
    client,
    whoami,
    can: (scope) => has("admin") || has(scope) || (scope === "read" && has("write")),
  };
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in session (pages render only when there is one). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}
