import { describe, expect, it } from "vitest";
import { deletePatch, diffPatch, findKey, patchHasMask, setPatch, sortedEntries, validateEntry } from "./kv";

const MASK = "••••d4 (71 chars)";

describe("validateEntry", () => {
  const headers = { Authorization: MASK, "X-Trace": "on" };

  it("checks header and variable names", () => {
    expect(validateEntry("headers", "", "v", headers)).toBe("Enter the header name.");
    expect(validateEntry("headers", "Bad Header", "v", headers)).toMatch(/not a valid header name/);
    expect(validateEntry("env", "A=B", "v", {})).toMatch(/not a valid variable name/);
    expect(validateEntry("headers", "X-New", "v", headers)).toBeNull();
    expect(validateEntry("env", "API_TOKEN", "", {})).toBeNull();
  });

  it("refuses duplicates (header names case-insensitively)", () => {
    expect(validateEntry("headers", "x-trace", "v", headers)).toBe("A header named X-Trace already exists: edit it instead.");
    expect(validateEntry("env", "path", "v", { PATH: "/bin" })).toBeNull();
    expect(validateEntry("env", "PATH", "v", { PATH: "/bin" })).toMatch(/already exists/);
  });

  it("refuses line breaks in header values", () => {
    expect(validateEntry("headers", "X-A", "a\r\nInjected: 1", {})).toMatch(/line breaks/);
  });

  it("refuses a mask typed as a new value but accepts the unchanged mask", () => {
    expect(validateEntry("headers", "X-A", "••••xy (9 chars)", {})).toMatch(/masked value/);
    expect(validateEntry("headers", "Authorization", MASK, headers, { editing: "Authorization" })).toBeNull();
    expect(validateEntry("headers", "Authorization", "••••zz (3 chars)", headers, { editing: "Authorization" })).toMatch(/masked/);
  });
});

describe("patches", () => {
  it("set and delete one key", () => {
    expect(setPatch("headers", "X-A", "1")).toEqual({ headers: { "X-A": "1" } });
    expect(deletePatch("env", "TOKEN")).toEqual({ env: { TOKEN: null } });
  });

  it("diffPatch sends only changes, nulls for removals, never an unchanged mask", () => {
    const original = { Authorization: MASK, "X-Keep": "same", "X-Old": "bye", "X-Edit": "1" };
    const edited = { Authorization: MASK, "X-Keep": "same", "X-Edit": "2", "X-New": "" };
    expect(diffPatch("headers", original, edited)).toEqual({
      headers: { "X-Old": null, "X-Edit": "2", "X-New": "" },
    });
  });

  it("diffPatch returns null when nothing changed and keeps header case of the stored key", () => {
    expect(diffPatch("env", { A: "1" }, { A: "1" })).toBeNull();
    expect(diffPatch("headers", { "X-Trace": "on" }, { "x-trace": "off" })).toEqual({ headers: { "X-Trace": "off" } });
  });

  it("diffPatch drops a mask that was not in the original (it is not a real value)", () => {
    expect(diffPatch("headers", {}, { "X-A": "••••" })).toBeNull();
  });

  it("patchHasMask detects masked values", () => {
    expect(patchHasMask({ headers: { A: MASK } })).toBe(true);
    expect(patchHasMask({ headers: { A: null }, env: { B: "x" } })).toBe(false);
  });

  it("findKey and sortedEntries", () => {
    expect(findKey("headers", { "X-A": "1" }, "x-a")).toBe("X-A");
    expect(findKey("env", { A: "1" }, "a")).toBeUndefined();
    expect(sortedEntries({ b: "2", A: "1", c: "3" }).map(([k]) => k)).toEqual(["A", "b", "c"]);
    expect(sortedEntries(null)).toEqual([]);
  });
});
