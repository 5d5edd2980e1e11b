import { ApiClient } from "./api";
import { browserKeyEnv, captureApiKey, saveApiKey } from "./apikey";
import { Endpoints } from "./endpoints";
import { type LiveState, subscribe } from "./events";
import { applyServerChange, isServer, mergeFetched } from "./serverList";
import type { Server } from "./types";

/** Shared state of the UI: API key, server list (kept live by `/events`), stream state. */
class AppState {
  key = $state<string | null>(null);
  /** Set when the core rejected the key. */
  keyRejected = $state(false);
  servers = $state<Server[]>([]);
  serversLoaded = $state(false);
  serversError = $state<string | null>(null);
  live = $state<LiveState>("connecting");
  /** Bumped on `tools.changed` / `approvals.changed` so pages reload what they show. */
  toolsVersion = $state(0);
  /** Bumped when something the activity log records happened (tool calls, approvals, config writes). */
  activityVersion = $state(0);
  /** Last `config.invalid` message (an external edit of the config file was refused). */
  configProblem = $state<string | null>(null);
  api: Endpoints;
  /** Per server: how many `servers.changed` events arrived (orders fetches against events). */
  private seq = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;

  constructor() {
    const client = new ApiClient(
      () => this.key,
      undefined,
      "",
      () => {
        this.keyRejected = true;
      },
    );
    this.api = new Endpoints(client);
  }

  /** Reads the key (`?apikey=` once, then local storage) and starts loading. */
  start(): void {
    this.key = captureApiKey(browserKeyEnv());
    if (this.key) this.connect();
  }

  /** Uses a key typed by the user. */
  useKey(key: string): void {
    saveApiKey(browserKeyEnv(), key);
    this.key = key.trim();
    this.keyRejected = false;
    this.connect();
  }

  private connect(): void {
    this.unsubscribe?.();
    void this.loadServers();
    this.unsubscribe = subscribe(
      this.key!,
      (name, data) => this.onEvent(name, data),
      (state) => {
        this.live = state;
      },
    );
  }

  async loadServers(): Promise<void> {
    const before = new Map(this.seq);
    try {
      const fetched = await this.api.servers();
      const changed = new Set([...this.seq].filter(([name, n]) => before.get(name) !== n).map(([name]) => name));
      this.servers = mergeFetched(fetched, this.servers, changed);
      this.serversError = null;
      this.keyRejected = false;
    } catch (err) {
      this.serversError = err instanceof Error ? err.message : String(err);
    } finally {
      this.serversLoaded = true;
    }
  }

  /** Replaces one server with the object a write returned. */
  updateServer(server: Server): void {
    this.servers = applyServerChange(this.servers, server.name, server);
  }

  /**
   * Runs a write on server `name` and shows the server object it answers, unless a live event
   * about that server arrived meanwhile (the event is newer: the answer would undo it).
   */
  async write<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.seq.get(name) ?? 0;
    const result = await fn();
    if (isServer(result) && (this.seq.get(result.name) ?? 0) === before) this.updateServer(result);
    return result;
  }

  private onEvent(name: string, data: unknown): void {
    const d = (data ?? {}) as Record<string, unknown>;
    switch (name) {
      case "status":
        // Sent on (re)connect and when this client missed events: resynchronise.
        void this.loadServers();
        break;
      case "servers.changed":
        if (typeof d.name === "string") {
          this.seq.set(d.name, (this.seq.get(d.name) ?? 0) + 1);
          this.servers = applyServerChange(this.servers, d.name, (d.server as Server | null) ?? null);
        }
        this.toolsVersion++;
        break;
      case "tools.changed":
        this.toolsVersion++;
        break;
      case "approvals.changed":
        this.toolsVersion++;
        this.activityVersion++;
        break;
      case "tool_call.finished":
      case "config.saved":
        this.activityVersion++;
        break;
      case "config.invalid":
        this.configProblem = typeof d.error === "string" ? d.error : "The config file has an error.";
        break;
      case "config.reloaded":
        this.configProblem = null;
        void this.loadServers();
        break;
    }
  }
}

/** The one app state. */
export const app = new AppState();
