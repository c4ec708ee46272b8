// /api/v1/keys: API keys of the caller's tenant (an admin key is needed), or of any tenant for the
// platform administrator.
import type { CreatedKey, Key, KeyRequest, Page, WhoAmI } from "../api/schemas.js";
import type { Http } from "./http.js";
import { seg } from "./http.js";
import type { PageOptions } from "./pages.js";
import { paginate } from "./pages.js";

export class KeysApi {
  constructor(private readonly http: Http) {}

  /**
   * Creates a key; the answer's `key` is the secret, shown this once.
   * @example const { key } = await admin.keys.create({ name: "ci", scopes: ["write"] });
   */
  create(request: KeyRequest): Promise<CreatedKey> {
    return this.http.json("POST", "/api/v1/keys", { json: request });
  }

  /** One page of the tenant's keys (without their secrets). */
  list(page: PageOptions = {}): Promise<Page<Key>> {
    return this.http.json("GET", "/api/v1/keys", { query: { ...page } });
  }

  /** Every key of the tenant. */
  all(limit?: number): AsyncGenerator<Key> {
    return paginate((p) => this.list(p), limit);
  }

  /** The calling key's id, tenant and scopes (any valid key may ask). */
  whoami(): Promise<WhoAmI> {
    return this.http.json("GET", "/api/v1/whoami");
  }

  /** Revokes a key: requests with it are refused from now on. */
  revoke(id: string): Promise<void> {
    return this.http.empty("DELETE", `/api/v1/keys/${seg(id)}`);
  }
}
