import { isMasked } from "./values";

/** Which map of a server: HTTP headers or environment variables. */
export type Scope = "headers" | "env";

/** A JSON Merge Patch (RFC 7396) of one server's `headers` / `env`. */
export type KvPatch = Partial<Record<Scope, Record<string, string | null>>>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Finds `key` in `map`; header names compare case-insensitively. */
export function findKey(scope: Scope, map: Record<string, string>, key: string): string | undefined {
  if (scope === "env") return key in map ? key : undefined;
  const lower = key.toLowerCase();
  return Object.keys(map).find((k) => k.toLowerCase() === lower);
}

/** Checks a new or edited entry; returns the message to show next to the field, or null. */
export function validateEntry(
  scope: Scope,
  key: string,
  value: string,
  existing: Record<string, string>,
  mode: { editing?: string } = {},
): string | null {
  const what = scope === "headers" ? "header" : "variable";
  if (mode.editing === undefined) {
    if (!key.trim()) return `Enter the ${what} name.`;
    if (key !== key.trim()) return `The ${what} name cannot start or end with spaces.`;
    if (scope === "headers" && !HEADER_NAME.test(key))
      return `"${key}" is not a valid header name: use letters, digits and - such as X-Api-Key.`;
    if (scope === "env" && (key.includes("=") || key.includes("\0") || /\s/.test(key)))
      return `"${key}" is not a valid variable name: use letters, digits and _ such as API_TOKEN.`;
    const clash = findKey(scope, existing, key);
    if (clash !== undefined) return `A ${what} named ${clash} already exists: edit it instead.`;
  }
  if (scope === "headers" && /[\r\n\0]/.test(value)) return "Header values cannot contain line breaks.";
  if (scope === "env" && value.includes("\0")) return "The value cannot contain NUL characters.";
  if (isMasked(value)) {
    const original = mode.editing !== undefined ? existing[mode.editing] : undefined;
    if (value !== original) return "This looks like a masked value: type the real value.";
  }
  return null;
}

/** Patch that sets (adds or replaces) one entry. */
export function setPatch(scope: Scope, key: string, value: string): KvPatch {
  return { [scope]: { [key]: value } };
}

/** Patch that deletes one entry. */
export function deletePatch(scope: Scope, key: string): KvPatch {
  return { [scope]: { [key]: null } };
}

/**
 * The merge patch turning `original` (as the API showed it, masked) into `edited`: changed
 * and new keys with their value, removed keys as null, unchanged keys left out. A value that
 * is still the mask the API returned is never sent. Returns null when nothing changed.
 */
export function diffPatch(
  scope: Scope,
  original: Record<string, string>,
  edited: Record<string, string>,
): KvPatch | null {
  const changes: Record<string, string | null> = {};
  for (const key of Object.keys(original)) {
    if (findKey(scope, edited, key) === undefined) changes[key] = null;
  }
  for (const [key, value] of Object.entries(edited)) {
    const before = findKey(scope, original, key);
    if (before !== undefined && original[before] === value) continue;
    if (isMasked(value)) continue;
    changes[before ?? key] = value;
  }
  return Object.keys(changes).length ? { [scope]: changes } : null;
}

/** True when a patch carries any masked value (it must never be sent). */
export function patchHasMask(patch: KvPatch): boolean {
  return Object.values(patch).some((m) => Object.values(m ?? {}).some((v) => typeof v === "string" && isMasked(v)));
}

/** Entries of a map sorted for display (case-insensitive by name). */
export function sortedEntries(map: Record<string, string> | null | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
}
