//! Scrubbing text before it is stored: every known secret value (configured, resolved, the
//! API key, OAuth tokens) and every detected credential format is replaced by its mask
//! (`••••<last2> (<N> chars)`), and the detection types are reported.
//!
//! Masking always happens on the whole text, *before* anything is cut to size; what is left
//! of a secret at a cut (its beginning) is masked by [`Scrubber::mask_cut`].

use super::detect::{self, KNOWN_SECRET};
use super::mask::mask_value;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::BTreeSet;

/// Known secret values shorter than this are not searched for (they would match ordinary text).
pub const MIN_KNOWN_SECRET_CHARS: usize = 4;

/// Masks known secrets and detected credentials in text.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    /// Secret values, longest first, with their JSON-escaped forms.
    known: Vec<String>,
    /// One-pass matcher over `known` (none when it is empty).
    matcher: Option<AhoCorasick>,
}

impl Scrubber {
    /// A scrubber for these secret values (short, empty and duplicate values are dropped).
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = Vec::new();
        for value in known {
            if value.chars().count() < MIN_KNOWN_SECRET_CHARS || super::is_reference(&value) {
                continue;
            }
            // In JSON text (e.g. an env dump) a value with quotes or backslashes is escaped.
            if let Ok(quoted) = serde_json::to_string(&value) {
                let inner = &quoted[1..quoted.len() - 1];
                if inner != value {
                    values.push(inner.to_string());
                }
            }
            values.push(value);
        }
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        let matcher = (!values.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&values)
                    .ok()
            })
            .flatten();
        Self {
            known: values,
            matcher,
        }
    }

    /// The secret values searched for.
    pub fn known(&self) -> &[String] {
        &self.known
    }

    /// `text` with every known secret and detected credential masked; the detection types
    /// found are added to `types` ([`KNOWN_SECRET`] for known values).
    pub fn scrub(&self, text: &str, types: &mut BTreeSet<String>) -> String {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(matcher) = &self.matcher {
            for found in matcher.find_iter(text) {
                spans.push((found.start(), found.end()));
                types.insert(KNOWN_SECRET.to_string());
            }
        }
        for finding in detect::scan(text) {
            spans.push((finding.start, finding.end));
            types.insert(finding.kind.to_string());
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end) = spans[i];
            i += 1;
            while i < spans.len() && spans[i].0 < end {
                end = end.max(spans[i].1);
                i += 1;
            }
            let start = start.max(copied);
            out.push_str(&text[copied..start]);
            out.push_str(&mask_value(&text[start..end]));
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Mask the beginning of a known secret left at the end of `text` by a cut (the longest
    /// such beginning is replaced by `••••`).
    pub fn mask_cut(&self, text: &mut String) {
        mask_cut_secret(text, &self.known);
    }
}

/// Replace the longest beginning of any of `secrets` left at the end of `text` (by cutting
/// it inside that secret) with `••••`. Shared by the activity excerpt and the server log.
pub fn mask_cut_secret(text: &mut String, secrets: &[String]) {
    let longest = secrets
        .iter()
        .filter_map(|secret| {
            secret
                .char_indices()
                .skip(1)
                .map(|(i, _)| &secret[..i])
                .filter(|start| text.ends_with(start))
                .map(str::len)
                .max()
        })
        .max();
    if let Some(len) = longest {
        text.truncate(text.len() - len);
        text.push_str("••••");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_detected_values_are_masked_and_typed() {
        let scrubber = Scrubber::new(["my-configured-secret".to_string(), "abc".to_string()]);
        let mut types = BTreeSet::new();
        let out = scrubber.scrub(
            "a my-configured-secret b AKIAIOSFODNN7EXAMPLE c abc",
            &mut types,
        );
        assert_eq!(out, "a ••••et (20 chars) b ••••LE (20 chars) c abc");
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            vec!["aws_access_key", "known_secret"]
        );
    }

    #[test]
    fn overlapping_findings_are_masked_once() {
        let scrubber = Scrubber::new(["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()]);
        let mut types = BTreeSet::new();
        let text = r#"{"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}"#;
        let out = scrubber.scrub(text, &mut types);
        assert_eq!(out, r#"{"AWS_SECRET_ACCESS_KEY": "••••EY (40 chars)"}"#);
        assert!(types.contains("aws_secret_key") && types.contains("known_secret"));
    }

    #[test]
    fn json_escaped_forms_are_known_too() {
        let scrubber = Scrubber::new([r#"pa"ss\word"#.to_string()]);
        let mut types = BTreeSet::new();
        let json = serde_json::json!({"v": r#"pa"ss\word"#}).to_string();
        let out = scrubber.scrub(&json, &mut types);
        assert!(!out.contains("ss"), "{out}");
    }

    #[test]
    fn a_secret_cut_at_the_end_is_masked() {
        let scrubber = Scrubber::new(["SECRETVALUE123".to_string()]);
        let mut text = "data SECRETVAL".to_string();
        scrubber.mask_cut(&mut text);
        assert_eq!(text, "data ••••");
        let mut clean = "data only".to_string();
        scrubber.mask_cut(&mut clean);
        assert_eq!(clean, "data only");
    }
}
