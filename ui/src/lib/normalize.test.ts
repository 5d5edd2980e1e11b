import { describe, expect, it } from "vitest";
import { activityPage, activityRecord, secrets, serverTools } from "./normalize";

describe("normalize", () => {
  it("reads both server tool shapes", () => {
    expect(serverTools("fx", { server: "fx", tools: [{ name: "fx:echo", tool: "echo", call_with: "call_tool_read", description: "d" }] })).toEqual([
      { name: "echo", key: "fx:echo", description: "d", call_with: "call_tool_read", status: null },
    ]);
    expect(serverTools("fx", { tools: [{ name: "echo", key: "fx:echo", status: "changed" }] })).toEqual([
      { name: "echo", key: "fx:echo", description: null, call_with: null, status: "changed" },
    ]);
    expect(serverTools("fx", { tools: [{ name: "x", status: "weird" }] })[0].status).toBeNull();
    expect(serverTools("fx", null)).toEqual([]);
  });

  it("reads secrets as names or objects with references", () => {
    expect(secrets({ secrets: ["b", "a"] })).toEqual([
      { name: "a", refs: [] },
      { name: "b", refs: [] },
    ]);
    expect(
      secrets([{ name: "gh", references: [{ server: "github", scope: "header", key: "Authorization" }, "fs/env/TOKEN", { nope: 1 }] }]),
    ).toEqual([
      {
        name: "gh",
        refs: [
          { server: "github", scope: "header", key: "Authorization" },
          { server: "fs", scope: "env", key: "TOKEN" },
        ],
      },
    ]);
  });

  it("reads activity pages and records", () => {
    const rec = { id: 1, timestamp_ms: 5, type: "tool_call" };
    expect(activityPage({ activities: [rec], total: 7 })).toEqual({ records: [rec], total: 7 });
    expect(activityPage({ records: [rec] })).toEqual({ records: [rec], total: null });
    expect(activityPage([rec])).toEqual({ records: [rec], total: null });
    expect(activityRecord({ activity: rec })).toEqual(rec);
    expect(activityRecord(rec)).toEqual(rec);
  });
});
