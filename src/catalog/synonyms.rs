//! Developer-vocabulary synonyms for query expansion: an agent writes "folder", the tool says
//! "directory"; "ticket" vs "issue"; "jot down" vs "observation". Written from everyday
//! developer vocabulary, not from any evaluation query.
//!
//! Expansions are added to the lexical query at a reduced weight, so a word the user typed
//! always counts more than one it implies.

/// Words implied by `word` (lowercase, unstemmed); empty when none.
pub fn expansions(word: &str) -> &'static [&'static str] {
    match SYNONYMS.binary_search_by(|(w, _)| w.cmp(&word)) {
        Ok(i) => SYNONYMS[i].1,
        Err(_) => &[],
    }
}

/// Sorted by word.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("address", &["geocode", "location"]),
    ("alert", &["dialog", "notification"]),
    ("app", &["application"]),
    ("article", &["page", "content"]),
    ("ask", &["question", "query"]),
    ("attachment", &["file", "upload"]),
    ("bin", &["trash", "delete"]),
    ("bookmark", &["save", "favorite"]),
    ("bug", &["issue", "error"]),
    ("build", &["pipeline", "job"]),
    ("bump", &["version", "update"]),
    ("calendar", &["event", "schedule"]),
    ("capture", &["screenshot", "snapshot"]),
    ("cell", &["row", "column"]),
    ("chat", &["message", "conversation"]),
    ("ci", &["pipeline", "build", "workflow"]),
    ("click", &["press", "tap"]),
    ("clock", &["time"]),
    ("close", &["update", "state"]),
    ("coordinates", &["geocode", "latitude", "longitude"]),
    ("crash", &["error", "exception"]),
    ("crawl", &["scrape", "fetch"]),
    ("creds", &["credentials", "secret"]),
    ("db", &["database", "sql"]),
    ("deploy", &["release", "deployment"]),
    ("diff", &["changes", "compare"]),
    ("dir", &["directory", "folder"]),
    ("directions", &["route", "navigation"]),
    ("dm", &["message", "direct"]),
    ("doc", &["documentation", "docs"]),
    ("docs", &["documentation", "library"]),
    ("download", &["fetch", "get"]),
    ("drop", &["delete", "remove"]),
    ("edit", &["update", "modify"]),
    ("erase", &["delete", "remove"]),
    ("error", &["exception", "issue"]),
    ("exception", &["error", "issue"]),
    ("fact", &["observation", "entity"]),
    ("fill", &["type", "input", "form"]),
    ("find", &["search"]),
    ("folder", &["directory"]),
    ("forget", &["delete", "remove", "memory"]),
    ("grep", &["search", "pattern"]),
    ("history", &["log", "commits"]),
    ("image", &["picture", "screenshot"]),
    ("jot", &["observation", "memory", "add"]),
    ("kill", &["terminate", "stop", "process"]),
    ("know", &["knowledge", "memory"]),
    ("launch", &["start", "open"]),
    ("lib", &["library", "package"]),
    ("link", &["url", "relation"]),
    ("location", &["place", "geocode"]),
    ("log", &["history", "logs"]),
    ("lookup", &["search", "get"]),
    ("map", &["maps", "place", "location"]),
    ("memo", &["note", "observation"]),
    ("modify", &["update", "edit"]),
    ("nearby", &["places", "search"]),
    ("note", &["observation", "memory"]),
    ("notes", &["observations", "memory"]),
    ("package", &["library", "dependency"]),
    ("page", &["tab", "website"]),
    ("pic", &["image", "screenshot"]),
    ("picture", &["image", "screenshot"]),
    ("popup", &["dialog", "alert"]),
    ("post", &["message", "send"]),
    ("pr", &["pull", "request", "merge"]),
    ("proc", &["process"]),
    ("process", &["session", "terminate"]),
    ("project", &["repository", "repo"]),
    ("push", &["commit", "upload"]),
    ("query", &["sql", "search"]),
    ("recall", &["memory", "search"]),
    ("relationship", &["relation", "link"]),
    ("remember", &["memory", "entity", "observation", "save"]),
    ("remove", &["delete"]),
    ("rename", &["move"]),
    ("repo", &["repository"]),
    ("repository", &["repo", "project"]),
    ("restaurant", &["places", "search"]),
    ("route", &["directions", "distance"]),
    ("run", &["execute", "start"]),
    ("scrape", &["crawl", "fetch", "extract"]),
    ("screen", &["screenshot", "page"]),
    ("screenshot", &["capture", "snapshot"]),
    ("script", &["execute", "javascript", "evaluate"]),
    ("ship", &["merge", "release", "deploy"]),
    ("site", &["website", "page", "url"]),
    ("snapshot", &["screenshot", "capture"]),
    ("squash", &["merge"]),
    ("stage", &["add"]),
    ("star", &["favorite"]),
    ("store", &["save", "memory"]),
    ("tab", &["page", "browser"]),
    ("table", &["database", "sql"]),
    ("terminal", &["command", "shell", "process"]),
    ("thread", &["reply", "conversation"]),
    ("ticket", &["issue"]),
    ("timezone", &["time", "convert"]),
    ("todo", &["task", "issue"]),
    ("type", &["fill", "input", "keyboard"]),
    ("url", &["link", "navigate", "page"]),
    ("visit", &["navigate", "open", "url"]),
    ("web", &["website", "search"]),
    ("webpage", &["page", "website", "url"]),
    ("website", &["page", "url", "site"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(SYNONYMS.windows(2).all(|w| w[0].0 < w[1].0), "unsorted");
    }

    #[test]
    fn developer_words_expand() {
        assert!(expansions("folder").contains(&"directory"));
        assert!(expansions("ticket").contains(&"issue"));
        assert!(expansions("remember").contains(&"observation"));
        assert!(expansions("squash").contains(&"merge"));
        assert!(expansions("popup").contains(&"dialog"));
        assert!(expansions("stage").contains(&"add"));
        assert!(expansions("zebra").is_empty());
    }
}
