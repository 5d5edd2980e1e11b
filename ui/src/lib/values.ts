/** How the core masks a secret value: `••••<last2> (<N> chars)` or `••••`. */
export const MASK_PREFIX = "••••";

/** A piece of a config value as shown in the UI. */
export type Segment =
  | { kind: "text"; text: string }
  | { kind: "keyring"; name: string; text: string }
  | { kind: "env"; name: string; text: string };

const REFERENCE = /\$\{(keyring|env):([^}]*)\}/g;

/** True when the core masked this value (it is not the real value). */
export function isMasked(value: string): boolean {
  return value.startsWith(MASK_PREFIX);
}

/** Splits a value into literal text and `${keyring:…}` / `${env:…}` references. */
export function segments(value: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of value.matchAll(REFERENCE)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ kind: "text", text: value.slice(last, at) });
    out.push({ kind: match[1] as "keyring" | "env", name: match[2], text: match[0] });
    last = at + match[0].length;
  }
  if (last < value.length || out.length === 0) out.push({ kind: "text", text: value.slice(last) });
  return out;
}

/** The keyring secret names a value refers to. */
export function keyringRefs(value: string): string[] {
  return segments(value)
    .filter((s): s is Extract<Segment, { kind: "keyring" }> => s.kind === "keyring")
    .map((s) => s.name);
}

/** True when the whole value is one keyring reference (already a secret). */
export function isKeyringRef(value: string): boolean {
  const parts = segments(value);
  return parts.length === 1 && parts[0].kind === "keyring";
}

/** A valid keyring secret name: letters, digits, `_ - .`, 1–128 chars. */
export function validateSecretName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Enter a name for the secret.";
  if (trimmed.length > 128) return "The name is too long (128 characters at most).";
  if (!/^[A-Za-z0-9_.-]+$/.test(trimmed)) return "Use letters, digits, '_', '-' or '.' only (no spaces or '}').";
  return null;
}

/** A secret name suggested for a header/env entry, e.g. `github_authorization`. */
export function suggestSecretName(server: string, key: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
  return [clean(server), clean(key)].filter(Boolean).join("_") || "secret";
}
