import { describe, expect, it } from "vitest";
import {
  appendLog,
  emptyLog,
  lineOf,
  logStreamPath,
  MAX_LINES,
  pauseLog,
  resetLog,
  resumeLog,
  tailOf,
} from "./logBuffer";

const numbered = (from: number, n: number) => Array.from({ length: n }, (_, i) => `l${from + i}`);

describe("log buffer", () => {
  it("keeps only the newest lines", () => {
    let view = resetLog(emptyLog(), numbered(0, 3), 5);
    view = appendLog(view, numbered(3, 4), 5);
    expect(view.lines).toEqual(["l2", "l3", "l4", "l5", "l6"]);
    view = appendLog(view, numbered(100, 2 * MAX_LINES));
    expect(view.lines.length).toBe(MAX_LINES);
    expect(view.lines.at(-1)).toBe(`l${100 + 2 * MAX_LINES - 1}`);
  });

  it("holds lines while paused and appends them on resume, still capped", () => {
    let view = pauseLog(resetLog(emptyLog(), ["a"]));
    view = appendLog(view, ["b", "c", "d"], 3);
    expect(view.lines).toEqual(["a"]);
    expect(view.held).toEqual(["b", "c", "d"]);
    view = appendLog(view, ["e"], 3);
    expect(view.held).toEqual(["c", "d", "e"]);
    view = resumeLog(view, 3);
    expect(view).toEqual({ lines: ["c", "d", "e"], held: [], paused: false });
  });

  it("a reopened stream's tail replaces lines and held lines", () => {
    const view = resetLog(appendLog(pauseLog(resetLog(emptyLog(), ["old"])), ["held"]), ["t1", "t2"]);
    expect(view).toEqual({ lines: ["t1", "t2"], held: [], paused: true });
  });

  it("reads event data defensively and encodes the server name", () => {
    expect(lineOf({ server: "s", line: "x", ts: "t" })).toBe("x");
    expect(lineOf({ line: 3 })).toBeNull();
    expect(lineOf(null)).toBeNull();
    expect(tailOf({ lines: ["a", 1, "b"] })).toEqual(["a", "b"]);
    expect(tailOf("nope")).toEqual([]);
    expect(logStreamPath("a b/c", 50)).toBe("/api/v1/servers/a%20b%2Fc/logs/stream?tail=50");
  });
});
