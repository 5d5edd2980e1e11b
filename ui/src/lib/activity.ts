/** Filters of the activity list as typed in the form. */
export interface ActivityFilters {
  type: string;
  server: string;
  tool: string;
  status: string;
  request_id: string;
  /** `datetime-local` input values (local time), or "". */
  since: string;
  until: string;
  /** "" (any), "true" (sensitive data detected) or "false" (none). */
  sensitive: string;
  /** A detection type such as `aws_access_key`, or "". */
  detection_type: string;
}

/** Detection types the core flags in `sensitive_data` (see docs/security.md). */
export const DETECTION_TYPES = [
  "known_secret",
  "aws_access_key",
  "aws_secret_key",
  "github_pat",
  "github_oauth",
  "github_app",
  "github_refresh",
  "gitlab_pat",
  "slack_token",
  "stripe_key",
  "anthropic_key",
  "openai_key",
  "gcp_api_key",
  "jwt_token",
  "private_key",
  "credit_card",
  "credential_assignment",
] as const;

/** Badge text and tooltip for a record's detections, or null when there are none. */
export function sensitiveBadge(types: string[] | null | undefined): { text: string; title: string } | null {
  if (!types?.length) return null;
  return {
    text: types.length === 1 ? types[0] : `${types[0]} +${types.length - 1}`,
    title: `Sensitive data detected and masked: ${types.join(", ")}`,
  };
}

/** No filter. */
export function emptyFilters(): ActivityFilters {
  return {
    type: "",
    server: "",
    tool: "",
    status: "",
    request_id: "",
    since: "",
    until: "",
    sensitive: "",
    detection_type: "",
  };
}

/** Query string of `GET /api/v1/activity` (times as RFC 3339 UTC; empty filters left out). */
export function activityQuery(filters: ActivityFilters, limit: number, offset: number): string {
  const params = new URLSearchParams();
  for (const key of ["type", "server", "tool", "status", "request_id", "detection_type"] as const) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  for (const key of ["since", "until"] as const) {
    if (!filters[key]) continue;
    const time = new Date(filters[key]);
    if (!Number.isNaN(time.getTime())) params.set(key, time.toISOString());
  }
  if (filters.sensitive === "true" || filters.sensitive === "false") params.set("sensitive_data", filters.sensitive);
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return params.toString();
}

/** Problem with the time range, or null. */
export function validateRange(filters: ActivityFilters): string | null {
  if (filters.since && filters.until && new Date(filters.since) > new Date(filters.until))
    return "“Since” is after “until”: swap them.";
  return null;
}
