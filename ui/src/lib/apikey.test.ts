import { describe, expect, it } from "vitest";
import { captureApiKey, forgetApiKey, type KeyEnv, STORAGE_KEY } from "./apikey";

function env(href: string, stored: string | null = null) {
  const data = new Map<string, string>();
  if (stored !== null) data.set(STORAGE_KEY, stored);
  const replaced: string[] = [];
  const e: KeyEnv = {
    location: { href },
    storage: {
      getItem: (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
    },
    replaceUrl: (u) => void replaced.push(u),
  };
  return { e, data, replaced };
}

describe("captureApiKey", () => {
  it("takes ?apikey= once, stores it and removes it from the address", () => {
    const { e, data, replaced } = env("http://127.0.0.1:8080/ui/?apikey=abc123&x=1#/servers");
    expect(captureApiKey(e)).toBe("abc123");
    expect(data.get(STORAGE_KEY)).toBe("abc123");
    expect(replaced).toEqual(["/ui/?x=1#/servers"]);
  });

  it("uses the stored key when the address has none", () => {
    const { e, replaced } = env("http://127.0.0.1:8080/ui/#/tools", "stored");
    expect(captureApiKey(e)).toBe("stored");
    expect(replaced).toEqual([]);
  });

  it("a new key in the address replaces the stored one", () => {
    const { e, data } = env("http://127.0.0.1:8080/ui/?apikey=new", "old");
    expect(captureApiKey(e)).toBe("new");
    expect(data.get(STORAGE_KEY)).toBe("new");
  });

  it("an empty ?apikey= is removed and ignored", () => {
    const { e, replaced } = env("http://127.0.0.1:8080/ui/?apikey=", null);
    expect(captureApiKey(e)).toBeNull();
    expect(replaced).toEqual(["/ui/"]);
  });

  it("forgetApiKey clears the stored key", () => {
    const { e } = env("http://127.0.0.1:8080/ui/", "stored");
    forgetApiKey(e);
    expect(captureApiKey(e)).toBeNull();
  });
});
