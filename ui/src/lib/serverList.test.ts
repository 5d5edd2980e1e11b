import { describe, expect, it } from "vitest";
import { applyServerChange, isServer, mergeFetched, quarantineCount } from "./serverList";
import type { Server } from "./types";

const s = (name: string, status = "ready", quarantined = false) => ({ name, status, quarantined }) as Server;

describe("server list", () => {
  it("applies servers.changed events", () => {
    const list = [s("a"), s("b")];
    expect(applyServerChange(list, "b", s("b", "error")).map((x) => x.status)).toEqual(["ready", "error"]);
    expect(applyServerChange(list, "c", s("c")).map((x) => x.name)).toEqual(["a", "b", "c"]);
    expect(applyServerChange(list, "a", null).map((x) => x.name)).toEqual(["b"]);
    expect(applyServerChange(list, "zz", null)).toBe(list);
  });

  it("keeps event-updated servers when a fetch raced with events", () => {
    const fetched = [s("a", "connecting"), s("b", "connecting"), s("gone")];
    const current = [s("a", "ready"), s("b", "ready"), s("new")];
    const merged = mergeFetched(fetched, current, new Set(["a", "gone", "new"]));
    expect(merged.map((x) => `${x.name}:${x.status}`)).toEqual(["a:ready", "b:connecting", "new:ready"]);
  });

  it("counts quarantined servers and recognises server objects", () => {
    expect(quarantineCount([s("a"), s("b", "quarantined", true)])).toBe(1);
    expect(isServer(s("a"))).toBe(true);
    expect(isServer({ removed: "a" })).toBe(false);
    expect(isServer(null)).toBe(false);
  });
});
