import type { ActivityRecord, ApprovalStatus, Secret, SecretRef, ServerTool } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function approval(v: unknown): ApprovalStatus | null {
  return v === "approved" || v === "pending" || v === "changed" ? v : null;
}

/**
 * Tools of one server. Accepts both shapes the core has used: `{name: "server:tool", tool}`
 * and `{name: "tool", key: "server:tool", status}`.
 */
export function serverTools(server: string, data: unknown): ServerTool[] {
  const list = isObj(data) && Array.isArray(data.tools) ? data.tools : Array.isArray(data) ? data : [];
  return list.filter(isObj).map((t) => {
    const rawName = str(t.name) ?? "";
    const name = str(t.tool) ?? (rawName.startsWith(`${server}:`) ? rawName.slice(server.length + 1) : rawName);
    return {
      name,
      key: str(t.key) ?? `${server}:${name}`,
      description: str(t.description),
      call_with: str(t.call_with),
      status: approval(t.status),
    };
  });
}

function secretRef(v: unknown): SecretRef | null {
  if (typeof v === "string") {
    // "server/headers/Authorization" or "server:env:KEY"
    const parts = v.split(/[/:]/);
    return parts.length >= 3 ? { server: parts[0], scope: parts[1], key: parts.slice(2).join(":") } : null;
  }
  if (!isObj(v)) return null;
  const server = str(v.server) ?? str(v.server_name);
  const scope = str(v.scope) ?? str(v.type) ?? str(v.field) ?? "";
  const key = str(v.key) ?? str(v.name) ?? "";
  return server ? { server, scope, key } : null;
}

/** Keyring secrets from `GET /api/v1/secrets` (accepts a list of names or of objects). */
export function secrets(data: unknown): Secret[] {
  const list = isObj(data) && Array.isArray(data.secrets) ? data.secrets : Array.isArray(data) ? data : [];
  const out: Secret[] = [];
  for (const item of list) {
    if (typeof item === "string") {
      out.push({ name: item, refs: [] });
    } else if (isObj(item) && str(item.name)) {
      const raw = item.references ?? item.refs ?? item.used_by ?? [];
      const refs = (Array.isArray(raw) ? raw : []).map(secretRef).filter((r): r is SecretRef => r !== null);
      out.push({ name: str(item.name)!, refs });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Activity records and total from `GET /api/v1/activity`. */
export function activityPage(data: unknown): { records: ActivityRecord[]; total: number | null } {
  const list = isObj(data)
    ? (Array.isArray(data.activities) ? data.activities : Array.isArray(data.records) ? data.records : Array.isArray(data.items) ? data.items : [])
    : Array.isArray(data)
      ? data
      : [];
  const records = list.filter(isObj) as unknown as ActivityRecord[];
  const total = isObj(data) && typeof data.total === "number" ? data.total : null;
  return { records, total };
}

/** One activity record from `GET /api/v1/activity/{id}` (bare or wrapped). */
export function activityRecord(data: unknown): ActivityRecord | null {
  if (isObj(data) && isObj(data.activity)) return data.activity as unknown as ActivityRecord;
  if (isObj(data) && isObj(data.record)) return data.record as unknown as ActivityRecord;
  return isObj(data) ? (data as unknown as ActivityRecord) : null;
}
