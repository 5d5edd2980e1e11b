//! Static sentence embeddings for the semantic half of `retrieve_tools`.
//!
//! `assets/minilm-static-256.bin` holds one 256-dimensional vector per vocabulary entry (the
//! WordPiece vocabulary of all-MiniLM-L6-v2 plus whole developer words), distilled from the
//! real model by `scripts/distill_embeddings.py` (see docs/performance.md). Embedding a text is
//! a tokenisation, a table lookup per token, a weighted mean and a normalisation: no ML
//! runtime, no network, microseconds per text. The table ships inside the binary.
//!
//! File layout (little endian): `MPXE`, u32 version (1), u32 dims, u32 entries, u32 vocab
//! bytes, the vocabulary (entries joined by `\n`), one f32 scale per entry, then `entries ×
//! dims` i8 values (value = i8 × scale).

use std::collections::HashMap;
use std::sync::OnceLock;

static MODEL: &[u8] = include_bytes!("../../assets/minilm-static-256.bin");

/// A loaded static-embedding table.
pub struct StaticEmbedder {
    dims: usize,
    ids: HashMap<&'static str, u32>,
    scales: Vec<f32>,
    rows: &'static [u8],
}

impl std::fmt::Debug for StaticEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbedder")
            .field("dims", &self.dims)
            .field("entries", &self.ids.len())
            .finish()
    }
}

/// The embedder shipped with the binary; `None` (search stays lexical-only) if the table is
/// unreadable, which a unit test rules out for the shipped file.
pub fn shipped() -> Option<&'static StaticEmbedder> {
    static CELL: OnceLock<Option<StaticEmbedder>> = OnceLock::new();
    CELL.get_or_init(|| match StaticEmbedder::parse(MODEL) {
        Ok(e) => Some(e),
        Err(err) => {
            tracing::error!(%err, "semantic tool search disabled: embedding table unreadable");
            None
        }
    })
    .as_ref()
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl StaticEmbedder {
    /// Parses a table in the format above.
    pub fn parse(bytes: &'static [u8]) -> Result<Self, String> {
        if bytes.get(..4) != Some(b"MPXE") {
            return Err("not an embedding table (bad magic)".into());
        }
        let field = |i: usize| u32_at(bytes, 4 + 4 * i).ok_or("truncated header");
        let (version, dims, entries, vocab_len) = (field(0)?, field(1)?, field(2)?, field(3)?);
        if version != 1 {
            return Err(format!("unsupported embedding table version {version}"));
        }
        let (dims, entries, vocab_len) = (dims as usize, entries as usize, vocab_len as usize);
        let vocab_at = 20;
        let scales_at = vocab_at + vocab_len;
        let rows_at = scales_at + 4 * entries;
        if bytes.len() != rows_at + entries * dims {
            return Err("embedding table size does not match its header".into());
        }
        let vocab = std::str::from_utf8(&bytes[vocab_at..scales_at])
            .map_err(|_| "embedding vocabulary is not UTF-8")?;
        let ids: HashMap<&'static str, u32> = vocab.split('\n').zip(0u32..).collect();
        if ids.len() != entries {
            return Err("embedding vocabulary size does not match its header".into());
        }
        let scales = bytes[scales_at..rows_at]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(StaticEmbedder {
            dims,
            ids,
            scales,
            rows: &bytes[rows_at..],
        })
    }

    /// Vector length.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// True when `word` is one entry of the table (not only its pieces).
    pub fn contains(&self, word: &str) -> bool {
        self.ids.contains_key(word)
    }

    /// Vocabulary ids of one lowercase word: the whole word if known, else WordPiece pieces
    /// (greedy longest match, `##` continuations); nothing if a piece is unknown.
    pub fn word_ids(&self, word: &str, out: &mut Vec<u32>) {
        if let Some(&id) = self.ids.get(word) {
            out.push(id);
            return;
        }
        let start_len = out.len();
        let mut start = 0;
        let mut piece = String::new();
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                if word.is_char_boundary(end) {
                    piece.clear();
                    if start > 0 {
                        piece.push_str("##");
                    }
                    piece.push_str(&word[start..end]);
                    if let Some(&id) = self.ids.get(piece.as_str()) {
                        found = Some(id);
                        break;
                    }
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(start_len);
                    return;
                }
            }
        }
    }

    /// Adds `weight ×` the vector of entry `id` to `acc`.
    pub fn accumulate(&self, id: u32, weight: f32, acc: &mut [f32]) {
        let id = id as usize;
        let scale = self.scales[id] * weight;
        let row = &self.rows[id * self.dims..(id + 1) * self.dims];
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += (v as i8) as f32 * scale;
        }
    }
}

/// Scales `v` to unit length; false (and `v` untouched) when it is all zeros.
pub fn normalize(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm <= f32::EPSILON {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embed(e: &StaticEmbedder, text: &str) -> Vec<f32> {
        let mut ids = Vec::new();
        for w in text.split_whitespace() {
            e.word_ids(w, &mut ids);
        }
        let mut v = vec![0.0; e.dims()];
        for id in ids {
            e.accumulate(id, 1.0, &mut v);
        }
        assert!(normalize(&mut v), "{text}");
        v
    }

    #[test]
    fn shipped_table_loads_and_relates_developer_words() {
        let e = shipped().expect("shipped table parses");
        assert_eq!(e.dims(), 256);
        let folder = embed(e, "folder");
        assert!(dot(&folder, &embed(e, "directory")) > dot(&folder, &embed(e, "weather")));
        let ticket = embed(e, "bug ticket");
        assert!(dot(&ticket, &embed(e, "issue")) > dot(&ticket, &embed(e, "screenshot")));
    }

    #[test]
    fn unknown_words_fall_back_to_word_pieces() {
        let e = shipped().unwrap();
        let mut ids = Vec::new();
        e.word_ids("zzqxjv", &mut ids);
        assert!(!ids.is_empty(), "pieces of an unknown word");
        ids.clear();
        e.word_ids("文件", &mut ids);
        // May or may not be covered; must not panic.
        let _ = ids;
    }

    #[test]
    fn malformed_tables_are_refused() {
        assert!(StaticEmbedder::parse(b"nope").is_err());
        assert!(StaticEmbedder::parse(b"MPXE\x01\0\0\0").is_err());
    }
}
