import { describe, expect, it } from "vitest";
import { isKeyringRef, isMasked, keyringRefs, segments, suggestSecretName, validateSecretName } from "./values";

describe("values", () => {
  it("recognises masks", () => {
    expect(isMasked("••••d4 (71 chars)")).toBe(true);
    expect(isMasked("••••")).toBe(true);
    expect(isMasked("Bearer abc")).toBe(false);
  });

  it("splits references from literal text", () => {
    expect(segments("${keyring:gh}")).toEqual([{ kind: "keyring", name: "gh", text: "${keyring:gh}" }]);
    expect(segments("Bearer ${keyring:gh_token} (${env:USER})")).toEqual([
      { kind: "text", text: "Bearer " },
      { kind: "keyring", name: "gh_token", text: "${keyring:gh_token}" },
      { kind: "text", text: " (" },
      { kind: "env", name: "USER", text: "${env:USER}" },
      { kind: "text", text: ")" },
    ]);
    expect(segments("")).toEqual([{ kind: "text", text: "" }]);
    expect(segments("${other:x}")).toEqual([{ kind: "text", text: "${other:x}" }]);
  });

  it("finds keyring references", () => {
    expect(keyringRefs("a ${keyring:one} ${env:X} ${keyring:two}")).toEqual(["one", "two"]);
    expect(isKeyringRef("${keyring:one}")).toBe(true);
    expect(isKeyringRef("Bearer ${keyring:one}")).toBe(false);
    expect(isKeyringRef("${env:X}")).toBe(false);
  });

  it("validates and suggests secret names", () => {
    expect(validateSecretName("")).toBe("Enter a name for the secret.");
    expect(validateSecretName("has space")).toMatch(/letters, digits/);
    expect(validateSecretName("a}b")).toMatch(/letters, digits/);
    expect(validateSecretName("x".repeat(129))).toMatch(/too long/);
    expect(validateSecretName("github_token-2.v")).toBeNull();
    expect(suggestSecretName("GitHub", "X-Api-Key")).toBe("github_x_api_key");
    expect(suggestSecretName("", "")).toBe("secret");
  });
});
