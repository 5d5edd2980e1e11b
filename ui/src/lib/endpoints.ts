import { type ApiClient, ApiError, seg } from "./api";
import type { KvPatch, Scope } from "./kv";
import * as normalize from "./normalize";
import type { NewServer } from "./serverForm";
import type { CatalogTool, CoreStatus, Server, ToolDiff } from "./types";

/** Typed calls of the REST API used by the pages. */
export class Endpoints {
  constructor(readonly client: ApiClient) {}

  status(): Promise<CoreStatus> {
    return this.client.get("/status");
  }

  async servers(): Promise<Server[]> {
    return (await this.client.get<{ servers: Server[] }>("/servers")).servers;
  }

  addServer(body: NewServer): Promise<Server> {
    return this.client.post("/servers", body);
  }

  /** JSON Merge Patch of a server (only the changed keys). */
  patchServer(name: string, patch: KvPatch | Record<string, unknown>): Promise<Server> {
    return this.client.mergePatch(`/servers/${seg(name)}`, patch);
  }

  removeServer(name: string): Promise<unknown> {
    return this.client.delete(`/servers/${seg(name)}`);
  }

  serverAction(name: string, action: "enable" | "disable" | "restart"): Promise<unknown> {
    return this.client.post(`/servers/${seg(name)}/${action}`);
  }

  /**
   * Quarantines or approves (releases) a server. Uses `POST /servers/{name}/quarantine|unquarantine`;
   * a core without those endpoints gets the documented fallback, a merge patch of `quarantined`.
   */
  async setQuarantined(name: string, quarantined: boolean): Promise<unknown> {
    try {
      return await this.client.post(`/servers/${seg(name)}/${quarantined ? "quarantine" : "unquarantine"}`);
    } catch (err) {
      if (err instanceof ApiError && err.missingEndpoint) return this.patchServer(name, { quarantined });
      throw err;
    }
  }

  async serverTools(name: string) {
    return normalize.serverTools(name, await this.client.get(`/servers/${seg(name)}/tools`));
  }

  /** Approve some tools of a server, or every pending/changed one. */
  approveTools(name: string, tools: string[] | "all"): Promise<unknown> {
    const body = tools === "all" ? { approve_all: true } : { tools };
    return this.client.post(`/servers/${seg(name)}/tools/approve`, body);
  }

  toolDiff(name: string, tool: string): Promise<ToolDiff> {
    return this.client.get(`/servers/${seg(name)}/tools/${seg(tool)}/diff`);
  }

  async logs(name: string, tail: number): Promise<string[]> {
    return (await this.client.get<{ lines: string[] }>(`/servers/${seg(name)}/logs?tail=${tail}`)).lines;
  }

  async tools(): Promise<CatalogTool[]> {
    return (await this.client.get<{ tools: CatalogTool[] }>("/tools")).tools;
  }

  async search(query: string, limit = 20): Promise<CatalogTool[]> {
    const q = new URLSearchParams({ q: query, limit: String(limit) });
    const data = await this.client.get<{ tools?: CatalogTool[]; results?: CatalogTool[] }>(`/index/search?${q}`);
    return data.tools ?? data.results ?? [];
  }

  async secrets() {
    return normalize.secrets(await this.client.get("/secrets"));
  }

  /** Stores a secret; an existing one of that name is replaced only with `overwrite` (else 409). */
  setSecret(name: string, value: string, overwrite = false): Promise<unknown> {
    return this.client.post("/secrets", overwrite ? { name, value, overwrite } : { name, value });
  }

  deleteSecret(name: string): Promise<unknown> {
    return this.client.delete(`/secrets/${seg(name)}`);
  }

  /** Moves a header/env value into the keyring; the field becomes `${keyring:secretName}`.
   * An existing keyring entry of that name is replaced only with `overwrite` (else 409). */
  configToSecret(server: string, scope: Scope, key: string, secretName: string, overwrite = false): Promise<unknown> {
    return this.client.post(`/servers/${seg(server)}/config-to-secret`, {
      scope: scope === "headers" ? "header" : "env",
      key,
      secret_name: secretName,
      ...(overwrite ? { overwrite: true } : {}),
    });
  }

  async activity(query: string) {
    return normalize.activityPage(await this.client.get(`/activity?${query}`));
  }

  async activityItem(id: number) {
    return normalize.activityRecord(await this.client.get(`/activity/${id}`));
  }
}
