//! Sensitive-data detection: well-known credential formats (cloud keys, API tokens, JWTs,
//! private keys, `password=` assignments, card numbers) found in text that is about to be
//! stored, so the activity log can mask them and flag the record.
//!
//! Detection only looks; it never changes what a client receives. Patterns are compiled once;
//! a [`regex::RegexSet`] pass decides which (if any) patterns need a second, locating pass,
//! so text without findings costs one scan.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// One detection pattern: a type name (as in the activity record's `sensitive_data`), its
/// regex (capture group 1, when present, is the secret part), and an optional check.
struct Pattern {
    kind: &'static str,
    regex: &'static str,
    check: Option<fn(&str) -> bool>,
}

/// Every detection type, in the order patterns are tried (earlier wins on overlap).
pub const DETECTION_TYPES: &[&str] = &[
    "private_key",
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
    "credit_card",
    "credential_assignment",
];

/// Type name for an occurrence of a secret value from the configuration (not a pattern).
pub const KNOWN_SECRET: &str = "known_secret";

const PATTERNS: &[Pattern] = &[
    Pattern {
        kind: "private_key",
        // A whole PEM block, or its start when the text was cut before the END line
        // (newlines may be real or JSON-escaped `\n`).
        regex: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,-]|\\[nr])*)",
        check: None,
    },
    Pattern {
        kind: "aws_access_key",
        regex: r"(?-u:\b)((?:AKIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA|ASIA)[A-Z0-9]{16})(?-u:\b)",
        check: None,
    },
    Pattern {
        kind: "aws_secret_key",
        // Named as an AWS secret nearby (`aws_secret_access_key = …`, JSON, env dumps) …
        regex: r#"(?i)aws[A-Za-z0-9_.-]{0,20}?secret[A-Za-z0-9_.-]{0,20}["']?\s*[=:]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        check: None,
    },
    Pattern {
        kind: "aws_secret_key",
        // … or standing alone: 40 base64 characters of mixed case with a digit and `/` or `+`.
        regex: r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
        check: Some(looks_like_aws_secret),
    },
    Pattern {
        kind: "github_pat",
        regex: r"(?-u:\b)(ghp_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
        check: None,
    },
    Pattern {
        kind: "github_oauth",
        regex: r"(?-u:\b)(gho_[A-Za-z0-9]{36,255})",
        check: None,
    },
    Pattern {
        kind: "github_app",
        regex: r"(?-u:\b)(gh[su]_[A-Za-z0-9]{36,255})",
        check: None,
    },
    Pattern {
        kind: "github_refresh",
        regex: r"(?-u:\b)(ghr_[A-Za-z0-9]{36,255})",
        check: None,
    },
    Pattern {
        kind: "gitlab_pat",
        regex: r"(?-u:\b)(glpat-[A-Za-z0-9_-]{20,})",
        check: None,
    },
    Pattern {
        kind: "slack_token",
        regex: r"(?-u:\b)(xox[abprs]-[0-9A-Za-z-]{10,})",
        check: None,
    },
    Pattern {
        kind: "stripe_key",
        regex: r"(?-u:\b)((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})",
        check: None,
    },
    Pattern {
        kind: "anthropic_key",
        regex: r"(?-u:\b)(sk-ant-[A-Za-z0-9_-]{20,})",
        check: None,
    },
    Pattern {
        kind: "openai_key",
        regex: r"(?-u:\b)(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20,})",
        check: None,
    },
    Pattern {
        kind: "gcp_api_key",
        regex: r"(?-u:\b)(AIza[0-9A-Za-z_-]{35})",
        check: None,
    },
    Pattern {
        kind: "jwt_token",
        regex: r"(?-u:\b)(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+)",
        check: None,
    },
    Pattern {
        kind: "credit_card",
        regex: r"(?:^|[^0-9A-Za-z_.-])([2-6][0-9](?:[ -]?[0-9]){11,17})(?:[^0-9A-Za-z_]|$)",
        check: Some(luhn_card),
    },
    Pattern {
        kind: "credential_assignment",
        // `password=…`, `api_key: …`, `"client_secret": "…"`, `DB_PASSWORD=…` (the value only).
        regex: r#"(?i)[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)["']?\s*[=:]\s*["']?([^\s"'&,;<>{}\[\]\\]{3,})"#,
        check: Some(not_a_placeholder),
    },
];

struct Compiled {
    set: RegexSet,
    regexes: Vec<Regex>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    set: RegexSet::new(PATTERNS.iter().map(|p| p.regex)).expect("detection patterns compile"),
    regexes: PATTERNS
        .iter()
        .map(|p| Regex::new(p.regex).expect("detection pattern compiles"))
        .collect(),
});

/// A sensitive value found in text: its type and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Detection type (one of [`DETECTION_TYPES`]).
    pub kind: &'static str,
    /// Byte offset of the value.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
}

/// Every sensitive value in `text`, in pattern order (ranges may overlap).
pub fn scan(text: &str) -> Vec<Finding> {
    let compiled = &*COMPILED;
    let mut found = Vec::new();
    for index in compiled.set.matches(text).iter() {
        let pattern = &PATTERNS[index];
        let regex = &compiled.regexes[index];
        // Matches of the "delimited" patterns consume one delimiter on each side; restart each
        // search right after the value so neighbours sharing a delimiter are found too.
        let mut at = 0;
        while at <= text.len() {
            let Some(caps) = regex.captures_at(text, at) else {
                break;
            };
            let whole = caps.get(0).expect("group 0");
            let value = caps.get(1).unwrap_or(whole);
            if pattern.check.is_none_or(|check| check(value.as_str())) {
                found.push(Finding {
                    kind: pattern.kind,
                    start: value.start(),
                    end: value.end(),
                });
            }
            at = if value.end() > at {
                value.end()
            } else {
                at + 1
            };
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
        }
    }
    found
}

/// Mixed case, a digit, and `/` or `+`: how AWS secret keys look and most identifiers don't.
fn looks_like_aws_secret(value: &str) -> bool {
    let has = |f: fn(&u8) -> bool| value.as_bytes().iter().any(f);
    has(u8::is_ascii_lowercase)
        && has(u8::is_ascii_uppercase)
        && has(u8::is_ascii_digit)
        && has(|b| *b == b'/' || *b == b'+')
}

/// 13–19 digits passing the Luhn checksum.
fn luhn_card(value: &str) -> bool {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Skip values that are clearly not secrets: masks, references and placeholders.
fn not_a_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !(value.starts_with("${")
        || value.starts_with('•')
        || value
            .chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "none" | "required" | "optional" | "string" | "undefined"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        let mut k: Vec<_> = scan(text).into_iter().map(|f| f.kind).collect();
        k.sort();
        k.dedup();
        k
    }

    fn found(text: &str) -> Vec<&str> {
        scan(text)
            .into_iter()
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn well_known_formats_are_found() {
        let cases = [
            ("key AKIAIOSFODNN7EXAMPLE here", "aws_access_key"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_key",
            ),
            (
                "token ghp_0123456789abcdefghijABCDEFGHIJ012345 end",
                "github_pat",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS",
                "github_pat",
            ),
            ("gho_0123456789abcdefghijABCDEFGHIJ012345", "github_oauth"),
            ("glpat-abcdefghij0123456789", "gitlab_pat"),
            ("xoxb-1234567890-abcdefghij", "slack_token"),
            ("sk_live_abcdefghijklmnop1234", "stripe_key"),
            ("rk_live_abcdefghijklmnop1234", "stripe_key"),
            ("sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "anthropic_key"),
            ("sk-proj-abcdefghij_klmnopqrst-uvwxyz", "openai_key"),
            ("sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD", "openai_key"),
            ("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "gcp_api_key"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt_token",
            ),
            ("card 4111 1111 1111 1111 exp", "credit_card"),
            ("card 4111-1111-1111-1111", "credit_card"),
            ("password=hunter2hunter2", "credential_assignment"),
            ("api_key: abcdef123", "credential_assignment"),
            (r#"{"client_secret": "s3cr3t-value"}"#, "credential_assignment"),
        ];
        for (text, kind) in cases {
            assert!(kinds(text).contains(&kind), "{text}: {:?}", kinds(text));
        }
        let pem =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
        assert_eq!(found(pem), vec![pem]);
        let cut = r"x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA";
        assert_eq!(found(cut), vec![&cut[2..]]);
    }

    #[test]
    fn only_the_value_of_an_assignment_is_found() {
        assert_eq!(
            found("DB_PASSWORD=hunter2hunter2 next"),
            vec!["hunter2hunter2"]
        );
        assert_eq!(
            found(r#""AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","#),
            vec![
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ]
        );
    }

    #[test]
    fn ordinary_text_is_not_flagged() {
        for text in [
            "",
            "hello world, the answer is 42",
            "commit 3f786850e387550fdab836ed7e6dc881de23001b",
            "timestamp_ms 1733577600000 and 1733577600001",
            "card 4111 1111 1111 1112",
            "max_tokens=100 and tokens: 5",
            "password: ${keyring:db}",
            "Authorization: ••••90 (17 chars)",
            "sk-ant is a prefix",
            "AKIA is not enough",
            "an id: 0123456789abcdef0123456789abcdef01234567",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn neighbours_sharing_a_delimiter_are_all_found() {
        let text = "4111111111111111 5500000000000004";
        assert_eq!(found(text), vec!["4111111111111111", "5500000000000004"]);
    }
}
