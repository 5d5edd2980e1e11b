//! The action facet: what a query asks to *do* (create, read, list, update, delete, search,
//! run) against what a tool does, so that "close issue 31" prefers `update_issue` over
//! `get_issue` although both share the noun.
//!
//! A query's action comes from its first action word (a two-word phrase like "set up" first);
//! a tool's from the first action word of its name, else its annotations.

/// What a request or a tool does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Make something new.
    Create,
    /// Read one thing.
    Read,
    /// Enumerate things.
    List,
    /// Change something that exists.
    Update,
    /// Remove something.
    Delete,
    /// Find things by a query.
    Search,
    /// Execute / navigate / interact.
    Run,
}

/// How well a tool's action fits a query's: 1 same, 0.5 related, 0 unknown, -1 conflicting.
pub fn compatibility(query: Option<Action>, tool: Option<Action>) -> f32 {
    use Action::*;
    let (Some(q), Some(t)) = (query, tool) else {
        return 0.0;
    };
    if q == t {
        return 1.0;
    }
    match (q, t) {
        (Read, List | Search) | (List, Read | Search) | (Search, Read | List) => 0.5,
        (Create, Update) | (Update, Create) => 0.0,
        (Run, _) | (_, Run) => 0.0,
        _ => -1.0,
    }
}

/// Action of a query from its lowercase words (stopwords included: "all" hints a listing).
pub fn of_query(words: &[String]) -> Option<Action> {
    for pair in words.windows(2) {
        if let Some(a) = phrase(&pair[0], &pair[1]) {
            return Some(a);
        }
    }
    words.iter().find_map(|w| of_word(w))
}

/// Action of a tool from its name's lowercase sub-words, else its read-only / destructive hints.
pub fn of_tool(name_words: &[String], read_only: bool, destructive: bool) -> Option<Action> {
    name_words
        .iter()
        .find_map(|w| of_word(w))
        .or(if destructive {
            Some(Action::Delete)
        } else if read_only {
            Some(Action::Read)
        } else {
            None
        })
}

fn phrase(a: &str, b: &str) -> Option<Action> {
    Some(match (a, b) {
        ("set", "up") | ("spin", "up") | ("sign", "up") | ("jot", "down") | ("write", "down") => {
            Action::Create
        }
        ("look", "up") | ("look", "for") | ("dig", "up") => Action::Search,
        ("get", "rid") | ("clean", "up") => Action::Delete,
        ("look", "at") | ("pull", "up") => Action::Read,
        ("branch", "off") => Action::Create,
        _ => return None,
    })
}

/// Action named by one lowercase word.
pub fn of_word(w: &str) -> Option<Action> {
    use Action::*;
    Some(match w {
        "create" | "add" | "new" | "make" | "insert" | "generate" | "register" | "upload"
        | "submit" | "compose" | "draft" | "init" | "initialize" | "post" | "publish"
        | "remember" | "store" | "save" | "fork" | "clone" | "invite" | "write" | "send" => Create,
        "get" | "show" | "read" | "view" | "fetch" | "display" | "retrieve" | "describe"
        | "inspect" | "check" | "details" | "detail" | "info" | "download" | "see" | "tell"
        | "grab" => Read,
        "list" | "enumerate" | "browse" | "all" | "every" => List,
        "update" | "edit" | "change" | "modify" | "rename" | "set" | "patch" | "replace"
        | "close" | "reopen" | "move" | "assign" | "toggle" | "mark" | "merge" | "resolve"
        | "archive" | "tweak" | "adjust" | "append" | "reply" | "bump" | "undo" | "unstage"
        | "revert" | "reset" => Update,
        "delete" | "remove" | "drop" | "erase" | "destroy" | "forget" | "purge" | "discard"
        | "trash" | "uninstall" | "unset" | "wipe" | "clear" | "kill" | "terminate" => Delete,
        "search" | "find" | "query" | "lookup" | "locate" | "grep" | "seek" => Search,
        "run" | "execute" | "exec" | "navigate" | "click" | "press" | "type" | "evaluate"
        | "go" | "visit" | "call" | "invoke" | "trigger" | "start" | "launch" => Run,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn query_verbs_decide() {
        assert_eq!(of_query(&words("close issue 31")), Some(Action::Update));
        assert_eq!(of_query(&words("set up a new table")), Some(Action::Create));
        assert_eq!(of_query(&words("the weather")), None);
    }

    #[test]
    fn tool_names_and_hints_decide() {
        let w = |s: &str| s.split('_').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            of_tool(&w("create_table"), false, false),
            Some(Action::Create)
        );
        assert_eq!(
            of_tool(&w("describe_table"), true, false),
            Some(Action::Read)
        );
        assert_eq!(of_tool(&w("weather"), true, false), Some(Action::Read));
        assert_eq!(of_tool(&w("weather"), false, false), None);
        assert!(
            compatibility(Some(Action::Create), Some(Action::Create))
                > compatibility(Some(Action::Create), Some(Action::Read))
        );
    }
}
