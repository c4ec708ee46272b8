// /v2/health/{live,ready}: the Open Inference Protocol's probes; no key needed.
import { MaasApiError } from "./errors.js";
import type { Http } from "./http.js";

export class HealthApi {
  constructor(private readonly http: Http) {}

  /** Whether the server answers at all (a network error throws). */
  async live(): Promise<boolean> {
    return this.probe("/v2/health/live", "live");
  }

  /** Whether the server takes requests: false while it shuts down (503). */
  async ready(): Promise<boolean> {
    return this.probe("/v2/health/ready", "ready");
  }

  private async probe(path: string, field: "live" | "ready"): Promise<boolean> {
    try {
      const body = await this.http.json<Record<string, unknown>>("GET", path);
      return body[field] === true;
    } catch (e) {
      if (e instanceof MaasApiError && e.status === 503) return false;
      throw e;
    }
  }
}
