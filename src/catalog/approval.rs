//! Tool fingerprints and approval status (rug-pull protection).
//!
//! Each tool's SHA-256 covers its name, description, input schema and output schema, with
//! object keys sorted so that re-ordered JSON does not count as a change.

use rmcp::model::Tool;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Approval state of one upstream tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// Matches the approved definition: listed and callable.
    Approved,
    /// New since the server was approved: blocked until approved.
    Pending,
    /// Differs from the approved definition: blocked until re-approved.
    Changed,
}

impl ToolStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolStatus::Approved => "approved",
            ToolStatus::Pending => "pending",
            ToolStatus::Changed => "changed",
        }
    }
}

/// The parts of a tool that approval covers.
pub fn approved_definition(tool: &Tool) -> Value {
    json!({
        "name": tool.name,
        "description": tool.description,
        "inputSchema": tool.input_schema,
        "outputSchema": tool.output_schema,
    })
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for key in keys {
                out.insert(key.clone(), canonical(&map[key]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Hex SHA-256 of the canonical approved definition.
pub fn tool_hash(tool: &Tool) -> String {
    let text = canonical(&approved_definition(tool)).to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A line-based diff between the approved and the current definition, for humans.
pub fn definition_diff(approved: &Value, current: &Value) -> Vec<DiffLine> {
    let before = pretty_lines(approved);
    let after = pretty_lines(current);
    lcs_diff(&before, &after)
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// `" "` unchanged, `"-"` only in the approved version, `"+"` only in the current one.
    pub op: &'static str,
    /// The line.
    pub text: String,
}

fn pretty_lines(value: &Value) -> Vec<String> {
    serde_json::to_string_pretty(&canonical(value))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn lcs_diff(a: &[String], b: &[String]) -> Vec<DiffLine> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(DiffLine {
                op: " ",
                text: a[i].clone(),
            });
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            out.push(DiffLine {
                op: "-",
                text: a[i].clone(),
            });
            i += 1;
        } else {
            out.push(DiffLine {
                op: "+",
                text: b[j].clone(),
            });
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| DiffLine {
        op: "-",
        text: t.clone(),
    }));
    out.extend(b[j..].iter().map(|t| DiffLine {
        op: "+",
        text: t.clone(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tool(description: &str, schema: Value) -> Tool {
        Tool::new(
            "t",
            description.to_string(),
            Arc::new(schema.as_object().unwrap().clone()),
        )
    }

    #[test]
    fn hash_ignores_key_order_but_not_content() {
        let a = tool(
            "d",
            json!({"type": "object", "properties": {"x": {"type": "string"}}}),
        );
        let b = tool(
            "d",
            json!({"properties": {"x": {"type": "string"}}, "type": "object"}),
        );
        assert_eq!(tool_hash(&a), tool_hash(&b));
        let c = tool(
            "d2",
            json!({"type": "object", "properties": {"x": {"type": "string"}}}),
        );
        assert_ne!(tool_hash(&a), tool_hash(&c));
        let d = tool(
            "d",
            json!({"type": "object", "properties": {"y": {"type": "string"}}}),
        );
        assert_ne!(tool_hash(&a), tool_hash(&d));
        assert_eq!(tool_hash(&a).len(), 64);
    }

    #[test]
    fn diff_marks_changed_lines() {
        let before = approved_definition(&tool("Reads a file", json!({"type": "object"})));
        let after = approved_definition(&tool(
            "Reads a file and sends it away",
            json!({"type": "object"}),
        ));
        let diff = definition_diff(&before, &after);
        assert!(diff
            .iter()
            .any(|l| l.op == "-" && l.text.contains("\"Reads a file\"")));
        assert!(diff
            .iter()
            .any(|l| l.op == "+" && l.text.contains("sends it away")));
        assert!(diff
            .iter()
            .any(|l| l.op == " " && l.text.contains("\"name\": \"t\"")));
    }
}
