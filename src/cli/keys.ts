// `maas keys create|list|revoke`: API keys on a running server (an admin key is needed).
import type { Command } from "commander";
import { ScopeSchema } from "../api/schemas.js";
import { collect } from "../client/client.js";
import { MaasError } from "../errors.js";
import type { RemoteFlags } from "./remote.js";
import { connect, remoteAction, table, withRemoteOptions } from "./remote.js";

const out = (s: string): void => void process.stdout.write(s + "\n");

/** --scopes' names, each checked (a bad-input error names the flag and the choices). */
function scopesOf(list: string[]) {
  if (list.length === 0) throw new MaasError("bad_input", `--scopes needs at least one of ${ScopeSchema.options.join(", ")}`);
  return list.map((s) => {
    const r = ScopeSchema.safeParse(s);
    if (!r.success) throw new MaasError("bad_input", `--scopes: unknown scope '${s}' (choose from ${ScopeSchema.options.join(", ")})`);
    return r.data;
  });
}

async function create(f: RemoteFlags & { name: string; scopes: string[]; tenant?: string }): Promise<void> {
  const k = await connect(f).keys.create({ name: f.name, scopes: scopesOf(f.scopes), tenant: f.tenant });
  if (f.json) return out(JSON.stringify(k));
  out(`created key ${k.id} '${k.name}' for tenant '${k.tenant}' with scopes ${k.scopes.join(", ")}`);
  out(`the key (shown this once; keep it safe):\n\n  ${k.key}\n`);
}

async function list(f: RemoteFlags): Promise<void> {
  const keys = await collect(connect(f).keys.all());
  if (f.json) return out(JSON.stringify(keys));
  if (keys.length === 0) return out("no keys");
  const when = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-");
  out(table([["ID", "NAME", "TENANT", "SCOPES", "CREATED", "REVOKED"], ...keys.map((k) => [k.id, k.name, k.tenant, k.scopes.join(","), when(k.createdAt), when(k.revokedAt)])]));
}

async function revoke(id: string, f: RemoteFlags): Promise<void> {
  await connect(f).keys.revoke(id);
  if (f.json) return out(JSON.stringify({ id, revoked: true }));
  out(`revoked key ${id}`);
}

/** Adds `maas keys ...` to the program. */
export function registerKeysCommands(p: Command): void {
  const keys = p.command("keys").description("API keys of a running server (needs an admin key: --key, env MAAS_KEY)");
  const scopes = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  withRemoteOptions(keys.command("create").description("create an API key (printed once)"))
    .requiredOption("--name <name>", "what the key is for")
    .requiredOption("--scopes <scopes>", "comma-separated: admin, write, predict, read", scopes)
    .option("--tenant <tenant>", "another tenant (platform administrator only; a new name creates it)")
    .action(remoteAction(create));
  withRemoteOptions(keys.command("list").description("list the tenant's keys")).action(remoteAction(list));
  withRemoteOptions(keys.command("revoke").description("revoke a key")).argument("<id>", "key id").action(remoteAction(revoke));
}
