import type { Server } from "./types";

/** Applies a `servers.changed` event: replaces the server in place, appends it, or removes it. */
export function applyServerChange(list: Server[], name: string, server: Server | null): Server[] {
  const at = list.findIndex((s) => s.name === name);
  if (server === null) return at < 0 ? list : list.filter((s) => s.name !== name);
  if (at < 0) return [...list, server];
  const copy = list.slice();
  copy[at] = server;
  return copy;
}

/** Counts for the navigation badges. */
export function quarantineCount(list: Server[]): number {
  return list.filter((s) => s.quarantined).length;
}

/**
 * Merges a fetched server list with the current one: servers changed by live events while the
 * fetch was in flight (`changed`) keep their current state (the events are newer); every other
 * server takes the fetched state. Fetched order first, then servers only the events know.
 */
export function mergeFetched(fetched: Server[], current: Server[], changed: Set<string>): Server[] {
  const currentByName = new Map(current.map((s) => [s.name, s]));
  const out: Server[] = [];
  for (const server of fetched) {
    if (!changed.has(server.name)) out.push(server);
    else if (currentByName.has(server.name)) out.push(currentByName.get(server.name)!);
  }
  const fetchedNames = new Set(fetched.map((s) => s.name));
  for (const server of current) {
    if (changed.has(server.name) && !fetchedNames.has(server.name)) out.push(server);
  }
  return out;
}

/** True when `value` looks like a server object (the answer of a server write). */
export function isServer(value: unknown): value is Server {
  return typeof value === "object" && value !== null && typeof (value as Server).name === "string" && "status" in value;
}
