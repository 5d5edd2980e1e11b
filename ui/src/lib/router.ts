/** A page of the UI (hash routes, so the core serves one index.html). */
export type Route =
  | { page: "servers" }
  | { page: "server"; name: string; tab: "config" | "tools" | "logs"; embed?: boolean }
  | { page: "tools"; query: string }
  | { page: "secrets" }
  | { page: "quarantine" }
  | { page: "activity" };

const TABS = ["config", "tools", "logs"] as const;

/** Parses `#/servers/NAME/tools` etc.; unknown hashes go to the servers page. */
export function parseRoute(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  switch (parts[0]) {
    case "servers":
      if (parts[1]) {
        const tab = (TABS as readonly string[]).includes(parts[2] ?? "") ? (parts[2] as (typeof TABS)[number]) : "config";
        // `?embed=1`: the desktop app's per-server editor window (one server's cards, no navigation).
        if (tab === "config" && new URLSearchParams(query).get("embed") === "1") {
          return { page: "server", name: parts[1], tab, embed: true };
        }
        return { page: "server", name: parts[1], tab };
      }
      return { page: "servers" };
    case "tools":
      return { page: "tools", query: new URLSearchParams(query).get("q") ?? "" };
    case "secrets":
      return { page: "secrets" };
    case "quarantine":
      return { page: "quarantine" };
    case "activity":
      return { page: "activity" };
    default:
      return { page: "servers" };
  }
}

/** The hash of a route. */
export function href(route: Route): string {
  switch (route.page) {
    case "server":
      return `#/servers/${encodeURIComponent(route.name)}/${route.tab}${route.embed ? "?embed=1" : ""}`;
    case "tools":
      return route.query ? `#/tools?q=${encodeURIComponent(route.query)}` : "#/tools";
    default:
      return `#/${route.page}`;
  }
}
