//! Hybrid tool search backing the `retrieve_tools` MCP tool: BM25 (lexical) fused with static
//! sentence embeddings (semantic) and an action facet.
//!
//! Lexical: tools are indexed into an in-RAM [tantivy] index. Every text field is analysed by a
//! code-aware tokenizer ([`IdentifierTokenizer`]) followed by tantivy's English [`Stemmer`];
//! the tool name is additionally indexed verbatim (lowercased, unstemmed) so an exact tool-name
//! query ranks that tool first. Queries are free text, never tantivy query syntax (so no input
//! can produce a parse error): stopwords are dropped ([`super::stopwords`]), a camelCase word
//! the catalog knows whole ("GitHub") is not split, and developer synonyms are added at a
//! reduced weight ([`super::synonyms`]).
//!
//! Semantic: each tool's "server name description" and the query are embedded with the
//! shipped static embeddings ([`super::embed`]); cosine similarity over every tool.
//!
//! Fusion: a weighted sum of the max-normalised BM25 score, the cosine and the action fit
//! ([`super::action`]), with weights chosen on the tuning split (docs/performance.md).

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context as _;
use tantivy::collector::{ScoreSegmentTweaker, ScoreTweaker, TopDocs};
use tantivy::columnar::ColumnValues;
use tantivy::indexer::{IndexWriterOptions, NoMergePolicy};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy::{
    DocId, Index, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader, TantivyDocument, Term,
};

use super::action::{self, Action};
use super::embed::{self, StaticEmbedder};
use super::stopwords::is_stopword;
use super::synonyms;

/// Name of the stemmed, identifier-splitting analyser registered on the index.
pub const IDENT_ANALYZER: &str = "mcp_ident";
/// Name of the whole-identifier (unsplit, unstemmed) analyser registered on the index.
pub const EXACT_ANALYZER: &str = "mcp_ident_exact";

/// Tokens longer than this (in bytes) are dropped.
const MAX_TOKEN_BYTES: usize = 100;
/// At most this many distinct terms per analyser are taken from a query.
const MAX_QUERY_TERMS: usize = 64;
/// Indexing memory budget of the single writer thread.
const WRITER_MEMORY_BYTES: usize = 50_000_000;

/// The ranking's knobs. [`SearchTuning::default`] is what ships; the fields are public so the
/// tuning harness (tests/search_quality.rs) can compare alternatives on the tuning split.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchTuning {
    /// BM25 boost of the verbatim tool name.
    pub boost_name_exact: Score,
    /// BM25 boost of the tool name's sub-words.
    pub boost_name: Score,
    /// BM25 boost of the server name.
    pub boost_server: Score,
    /// BM25 boost of parameter names.
    pub boost_param_names: Score,
    /// BM25 boost of the description.
    pub boost_description: Score,
    /// BM25 boost of parameter descriptions.
    pub boost_param_text: Score,
    /// Weight of a synonym relative to a typed word.
    pub synonym_weight: Score,
    /// Fusion method.
    pub fusion: Fusion,
    /// Weight of the action fit (-1..1).
    pub w_action: f32,
    /// Lexical weight of a query word that names an action ("show", "get", "drop"): the
    /// action facet already uses it, and as a plain word it matches tool names like `git_show`.
    pub action_word_weight: Score,
    /// Bonus for a tool whose server the query names ("on GitHub", "in Notion").
    pub w_server: f32,
    /// Words of the description that go into a tool's embedding.
    pub desc_words: usize,
    /// Weight tokens by their inverse document frequency in the catalog when embedding.
    pub idf_weighting: bool,
    /// Lexical candidates taken from BM25 before fusion.
    pub candidates: usize,
    /// A tool without any lexical match is returned only with at least this cosine.
    pub min_cosine: f32,
}

/// How lexical and semantic scores are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// BM25 only (plus the action facet).
    Lexical,
    /// Semantic only (plus the action facet).
    Semantic,
    /// `w_lex × bm25 / max_bm25 + w_sem × cosine`.
    Weighted {
        /// Lexical weight.
        w_lex: f32,
        /// Semantic weight.
        w_sem: f32,
    },
    /// Reciprocal rank fusion `w_lex / (k + rank_lex) + w_sem / (k + rank_sem)`, scaled by `k`.
    Rrf {
        /// RRF constant.
        k: f32,
        /// Lexical weight.
        w_lex: f32,
        /// Semantic weight.
        w_sem: f32,
    },
}

impl Default for SearchTuning {
    fn default() -> Self {
        SearchTuning {
            boost_name_exact: 6.0,
            boost_name: 2.0,
            boost_server: 1.5,
            boost_param_names: 1.0,
            boost_description: 1.0,
            boost_param_text: 0.5,
            synonym_weight: 0.4,
            fusion: Fusion::Weighted {
                w_lex: 0.4,
                w_sem: 0.6,
            },
            w_action: 0.1,
            action_word_weight: 1.0,
            w_server: 0.3,
            desc_words: 12,
            idf_weighting: false,
            candidates: 100,
            min_cosine: 0.35,
        }
    }
}

/// One tool as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct ToolDoc {
    /// Unique key, `"server:tool"`.
    pub key: String,
    /// Upstream server name.
    pub server: String,
    /// Tool name as exposed by the upstream server.
    pub name: String,
    /// Tool description.
    pub description: String,
    /// Names of the tool's input parameters.
    pub param_names: Vec<String>,
    /// Free text about the parameters (e.g. their descriptions).
    pub param_text: String,
    /// `readOnlyHint: true`.
    pub read_only: bool,
    /// `destructiveHint: true`.
    pub destructive: bool,
}

/// A search result: the tool key and its fused score (higher is better).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    /// The tool key, `"server:tool"`.
    pub key: String,
    /// Fused relevance score.
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    name_exact: Field,
    name: Field,
    server: Field,
    description: Field,
    param_names: Field,
    param_text: Field,
}

/// Immutable in-RAM hybrid index over a set of tools.
pub struct ToolIndex {
    searcher: Searcher,
    fields: Fields,
    tuning: SearchTuning,
    /// Keys sorted ascending; a document's `ord` fast field indexes this.
    keys: Vec<String>,
    /// Lowercase tool names and `server:tool` keys, by ord (exact-name bonus).
    exact: Vec<(String, String)>,
    /// What each tool does, by ord.
    actions: Vec<Option<Action>>,
    /// Words that together name each tool's server ([`server_words`]), by ord.
    server_names: Vec<Vec<String>>,
    /// Semantic part; `None` when the embedding table is unavailable.
    semantic: Option<Semantic>,
}

/// Unit vectors of every tool (row = ord) plus the catalog's token document frequencies.
struct Semantic {
    embedder: &'static StaticEmbedder,
    vectors: Vec<f32>,
    doc_freq: HashMap<u32, u32>,
}

impl std::fmt::Debug for ToolIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolIndex")
            .field("len", &self.keys.len())
            .field("semantic", &self.semantic.is_some())
            .finish_non_exhaustive()
    }
}

impl ToolIndex {
    /// Builds an in-RAM index over `docs` with the shipped tuning.
    ///
    /// Duplicate keys are indexed once (the first occurrence wins).
    pub fn build(docs: &[ToolDoc]) -> anyhow::Result<Self> {
        Self::build_with(docs, SearchTuning::default())
    }

    /// Builds an in-RAM index over `docs` (one writer thread, one commit) ranking with `tuning`.
    pub fn build_with(docs: &[ToolDoc], tuning: SearchTuning) -> anyhow::Result<Self> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(IDENT_ANALYZER, ident_analyzer());
        index
            .tokenizers()
            .register(EXACT_ANALYZER, exact_analyzer());

        // Sort by key so that `ord` order == key order (used for tie-breaks).
        let mut sorted: Vec<&ToolDoc> = docs.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let before = sorted.len();
        sorted.dedup_by(|b, a| a.key == b.key);
        if sorted.len() != before {
            tracing::warn!(
                duplicates = before - sorted.len(),
                "tool index: duplicate tool keys ignored"
            );
        }

        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BYTES)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_options(options)
            .context("creating tool index writer")?;
        writer.set_merge_policy(Box::new(NoMergePolicy));

        let mut keys = Vec::with_capacity(sorted.len());
        let mut exact = Vec::with_capacity(sorted.len());
        let mut actions = Vec::with_capacity(sorted.len());
        let mut server_names = Vec::with_capacity(sorted.len());
        for (ord, tool) in sorted.iter().enumerate() {
            let mut doc = TantivyDocument::new();
            doc.add_u64(fields.ord, ord as u64);
            doc.add_text(fields.name_exact, &tool.name);
            doc.add_text(fields.name, &tool.name);
            doc.add_text(fields.server, &tool.server);
            doc.add_text(fields.description, &tool.description);
            for p in &tool.param_names {
                doc.add_text(fields.param_names, p);
            }
            doc.add_text(fields.param_text, &tool.param_text);
            writer.add_document(doc).context("adding tool to index")?;
            keys.push(tool.key.clone());
            exact.push((tool.name.to_lowercase(), tool.key.to_lowercase()));
            let name_words: Vec<String> = words(&tool.name)
                .into_iter()
                .flat_map(|c| c.parts)
                .collect();
            actions.push(action::of_tool(
                &name_words,
                tool.read_only,
                tool.destructive,
            ));
            server_names.push(server_words(&tool.server));
        }
        writer.commit().context("committing tool index")?;
        writer
            .wait_merging_threads()
            .context("closing tool index writer")?;

        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening tool index reader")?;
        let searcher = reader.searcher();
        let semantic = embed::shipped().map(|e| Semantic::build(e, &sorted, &tuning));
        Ok(ToolIndex {
            searcher,
            fields,
            tuning,
            keys,
            exact,
            actions,
            server_names,
            semantic,
        })
    }

    /// Number of indexed tools.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no tool is indexed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Searches with free text; returns at most `limit` hits, best first
    /// (score descending, then key ascending). Never fails: an empty query,
    /// a query without searchable terms or an internal error yields no hits.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        if limit == 0 || self.keys.is_empty() {
            return Vec::new();
        }
        let parsed = self.parse_query(query);
        if parsed.terms.is_empty() && parsed.exact.is_empty() {
            return Vec::new();
        }
        let t = &self.tuning;
        let n = self.keys.len();

        // Lexical scores of the best candidates.
        let mut lex: HashMap<usize, Score> = HashMap::new();
        if let Some(q) = self.lexical_query(&parsed) {
            let want = t.candidates.max(limit).min(n);
            let collector = TopDocs::with_limit(want).tweak_score(OrdTieBreak);
            match self.searcher.search(&q, &collector) {
                Ok(top) => {
                    for ((score, Reverse(ord)), _) in top {
                        lex.insert(ord as usize, score);
                    }
                }
                Err(err) => tracing::warn!(error = %err, "tool index search failed"),
            }
        }
        let max_lex = lex.values().copied().fold(0.0, Score::max);

        // Semantic scores of every tool.
        let fusion = if self.semantic.is_none() {
            Fusion::Lexical
        } else {
            t.fusion
        };
        let cos: Option<Vec<f32>> = match fusion {
            Fusion::Lexical => None,
            _ => self
                .semantic
                .as_ref()
                .and_then(|s| s.scores(&parsed.embed_words, t)),
        };
        let fusion = if cos.is_none() {
            Fusion::Lexical
        } else {
            fusion
        };

        let ranks = |scores: &mut dyn Iterator<Item = (usize, f32)>| -> HashMap<usize, usize> {
            let mut v: Vec<(usize, f32)> = scores.collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.into_iter()
                .enumerate()
                .map(|(r, (o, _))| (o, r + 1))
                .collect()
        };
        let (lex_rank, sem_rank) = match (fusion, &cos) {
            (Fusion::Rrf { .. }, Some(c)) => (
                ranks(&mut lex.iter().map(|(&o, &s)| (o, s))),
                ranks(&mut c.iter().copied().enumerate()),
            ),
            _ => (HashMap::new(), HashMap::new()),
        };

        let mut scored: Vec<(usize, f32)> = Vec::new();
        for ord in 0..n {
            let l = lex.get(&ord).copied();
            let c = cos.as_ref().map(|c| c[ord]);
            let eligible = l.is_some() || c.is_some_and(|c| c >= t.min_cosine);
            if !eligible {
                continue;
            }
            let l_norm = l.map_or(0.0, |l| if max_lex > 0.0 { l / max_lex } else { 0.0 });
            let base = match fusion {
                Fusion::Lexical => l_norm,
                Fusion::Semantic => c.unwrap_or(0.0),
                Fusion::Weighted { w_lex, w_sem } => w_lex * l_norm + w_sem * c.unwrap_or(0.0),
                Fusion::Rrf { k, w_lex, w_sem } => {
                    let r = |m: &HashMap<usize, usize>| {
                        m.get(&ord).map_or(0.0, |&r| 1.0 / (k + r as f32))
                    };
                    k * (w_lex * r(&lex_rank) + w_sem * r(&sem_rank))
                }
            };
            if fusion == Fusion::Lexical && l.is_none() {
                continue;
            }
            let fit = action::compatibility(parsed.action, self.actions[ord]);
            let (name, key) = &self.exact[ord];
            let bonus = if parsed.exact.iter().any(|e| e == name || e == key) {
                1.0
            } else {
                0.0
            };
            let names_server = self.server_names[ord]
                .iter()
                .all(|n| parsed.words.contains(n));
            let server = if names_server { t.w_server } else { 0.0 };
            scored.push((ord, base + t.w_action * fit + server + bonus));
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(ord, score)| SearchHit {
                key: self.keys[ord].clone(),
                score,
            })
            .collect()
    }

    /// Splits the query into stemmed lexical terms (weighted), exact identifiers, the words to
    /// embed and the requested action.
    fn parse_query(&self, text: &str) -> ParsedQuery {
        let mut stem = stem_analyzer();
        let mut out = ParsedQuery::default();
        let mut seen = HashSet::new();
        let mut raw_words = Vec::new();
        let mut typed = Vec::new();
        let embedder = self.semantic.as_ref().map(|s| s.embedder);
        for chunk in words(text) {
            if out.exact.len() < MAX_QUERY_TERMS {
                out.exact.push(chunk.whole.clone());
            }
            let camel_only = !chunk.has_connector && chunk.parts.len() > 1;
            if camel_only && self.knows(&stem_one(&mut stem, &chunk.whole)) {
                // A brand written in camel case ("GitHub"): one word, as the catalog has it.
                if embedder.is_some_and(|e| e.contains(&chunk.whole)) {
                    out.embed_words.push(chunk.whole.clone());
                } else {
                    out.embed_words.extend(chunk.parts.iter().cloned());
                }
                raw_words.push(chunk.whole.clone());
                typed.push(chunk.whole);
                continue;
            }
            if chunk.parts.len() > 1 {
                typed.push(chunk.whole.clone());
            }
            raw_words.extend(chunk.parts.iter().cloned());
            for part in chunk.parts.into_iter().filter(|p| !is_stopword(p)) {
                out.embed_words.push(part.clone());
                typed.push(part);
            }
        }
        out.action = action::of_query(&raw_words);
        for w in &typed {
            let s = stem_one(&mut stem, w);
            let weight = if action::of_word(w).is_some() {
                self.tuning.action_word_weight
            } else {
                1.0
            };
            if !s.is_empty() && out.terms.len() < MAX_QUERY_TERMS && seen.insert(s.clone()) {
                out.terms.push((s, weight));
            }
        }
        out.words = raw_words
            .into_iter()
            .chain(out.exact.iter().cloned())
            .filter(|w| !is_stopword(w))
            .collect();
        for w in &typed {
            for syn in synonyms::expansions(w) {
                let s = stem_one(&mut stem, syn);
                if !s.is_empty() && out.terms.len() < MAX_QUERY_TERMS && seen.insert(s.clone()) {
                    out.terms.push((s, self.tuning.synonym_weight));
                }
            }
        }
        out
    }

    /// True when `term` occurs in a tool's name, server or description.
    fn knows(&self, term: &str) -> bool {
        let f = self.fields;
        [f.name, f.server, f.description].iter().any(|&field| {
            self.searcher
                .doc_freq(&Term::from_field_text(field, term))
                .is_ok_and(|n| n > 0)
        })
    }

    /// A disjunction of boosted per-field term queries.
    fn lexical_query(&self, parsed: &ParsedQuery) -> Option<BooleanQuery> {
        let f = self.fields;
        let t = &self.tuning;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut push = |field: Field, term: &str, boost: Score| {
            let tq = TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(tq), boost)),
            ));
        };
        for e in &parsed.exact {
            push(f.name_exact, e, t.boost_name_exact);
        }
        for (term, w) in &parsed.terms {
            push(f.name, term, t.boost_name * w);
            push(f.server, term, t.boost_server * w);
            push(f.param_names, term, t.boost_param_names * w);
            push(f.description, term, t.boost_description * w);
            push(f.param_text, term, t.boost_param_text * w);
        }
        if clauses.is_empty() {
            return None;
        }
        Some(BooleanQuery::new(clauses))
    }
}

/// A query, analysed.
#[derive(Debug, Default)]
struct ParsedQuery {
    /// Stemmed terms with their weight (1 typed, less for synonyms).
    terms: Vec<(String, Score)>,
    /// Whole lowercase identifiers as typed (exact-name match).
    exact: Vec<String>,
    /// Lowercase words to embed.
    embed_words: Vec<String>,
    /// What the query asks to do.
    action: Option<Action>,
    /// Every lowercase word and whole identifier of the query (server facet).
    words: HashSet<String>,
}

/// The words by which a query names a server: its lowercase name, or every part of a compound
/// name ("google-maps" is named by "google" and "maps" together, not by "google" alone).
fn server_words(server: &str) -> Vec<String> {
    let parts: Vec<String> = words(server).into_iter().flat_map(|c| c.parts).collect();
    if parts.len() > 1 {
        parts
    } else {
        vec![server.to_lowercase()]
    }
}

impl Semantic {
    fn build(embedder: &'static StaticEmbedder, docs: &[&ToolDoc], t: &SearchTuning) -> Self {
        let dims = embedder.dims();
        let mut ids_per_doc: Vec<Vec<u32>> = Vec::with_capacity(docs.len());
        let mut doc_freq: HashMap<u32, u32> = HashMap::new();
        for d in docs {
            let mut ids = Vec::new();
            let mut text_words: Vec<String> = Vec::new();
            for c in words(&d.server).into_iter().chain(words(&d.name)) {
                text_words.extend(c.parts);
            }
            text_words.extend(
                words(&d.description)
                    .into_iter()
                    .flat_map(|c| {
                        if c.has_connector || c.parts.len() == 1 {
                            c.parts
                        } else {
                            vec![c.whole]
                        }
                    })
                    .filter(|w| !is_stopword(w))
                    .take(t.desc_words),
            );
            for w in &text_words {
                embedder.word_ids(w, &mut ids);
            }
            let distinct: HashSet<u32> = ids.iter().copied().collect();
            for id in distinct {
                *doc_freq.entry(id).or_default() += 1;
            }
            ids_per_doc.push(ids);
        }
        let mut sem = Semantic {
            embedder,
            vectors: vec![0.0; docs.len() * dims],
            doc_freq,
        };
        let n = docs.len();
        for (i, ids) in ids_per_doc.iter().enumerate() {
            let mut v = vec![0.0f32; dims];
            for &id in ids {
                embedder.accumulate(id, sem.weight(id, n, t), &mut v);
            }
            embed::normalize(&mut v);
            sem.vectors[i * dims..(i + 1) * dims].copy_from_slice(&v);
        }
        sem
    }

    fn weight(&self, id: u32, n: usize, t: &SearchTuning) -> f32 {
        if !t.idf_weighting {
            return 1.0;
        }
        let df = self.doc_freq.get(&id).copied().unwrap_or(0) as f32;
        ((n as f32 + 1.0) / (df + 1.0)).ln() + 1.0
    }

    /// Cosine of the query with every tool, by ord; `None` when nothing in it embeds.
    fn scores(&self, words: &[String], t: &SearchTuning) -> Option<Vec<f32>> {
        let dims = self.embedder.dims();
        let n = self.vectors.len() / dims.max(1);
        let mut ids = Vec::new();
        for w in words {
            self.embedder.word_ids(w, &mut ids);
        }
        let mut q = vec![0.0f32; dims];
        for &id in &ids {
            self.embedder.accumulate(id, self.weight(id, n, t), &mut q);
        }
        if !embed::normalize(&mut q) {
            return None;
        }
        Some(
            self.vectors
                .chunks_exact(dims)
                .map(|v| embed::dot(&q, v))
                .collect(),
        )
    }
}

/// One identifier-ish chunk of text: lowercase whole and lowercase sub-words.
#[derive(Debug, Clone)]
struct Chunk {
    whole: String,
    parts: Vec<String>,
    has_connector: bool,
}

/// Cuts text into identifiers and their sub-words (see [`IdentifierTokenizer`]).
fn words(text: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut parts = Vec::new();
    for_each_chunk(text, |chunk, s| {
        parts.clear();
        split_identifier(chunk, s, &mut parts);
        let parts: Vec<String> = parts
            .iter()
            .map(|&(ps, pe)| normalize_part(&text[ps..pe]))
            .filter(|p| !p.is_empty() && p.len() <= MAX_TOKEN_BYTES)
            .collect();
        if chunk.len() <= MAX_TOKEN_BYTES && !parts.is_empty() {
            out.push(Chunk {
                whole: chunk.to_lowercase(),
                parts,
                has_connector: chunk.contains(is_connector),
            });
        }
    });
    out
}

/// Stems one lowercase word (whole, no splitting).
fn stem_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

fn stem_one(analyzer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = analyzer.token_stream(word);
    let mut out = String::new();
    while let Some(tok) = stream.next() {
        out.clone_from(&tok.text);
    }
    out
}

fn build_schema() -> (Schema, Fields) {
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut b = Schema::builder();
    let fields = Fields {
        ord: b.add_u64_field("ord", FAST),
        name_exact: b.add_text_field("name_exact", text(EXACT_ANALYZER)),
        name: b.add_text_field("name", text(IDENT_ANALYZER)),
        server: b.add_text_field("server", text(IDENT_ANALYZER)),
        description: b.add_text_field("description", text(IDENT_ANALYZER)),
        param_names: b.add_text_field("param_names", text(IDENT_ANALYZER)),
        param_text: b.add_text_field("param_text", text(IDENT_ANALYZER)),
    };
    (b.build(), fields)
}

/// Identifier-splitting tokenizer followed by English stemming.
pub fn ident_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(IdentifierTokenizer::new(TokenMode::Split))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Whole identifiers only, lowercased, unstemmed (for exact-name matching).
pub fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(IdentifierTokenizer::new(TokenMode::Whole)).build()
}

/// Makes the collected feature `(score, Reverse(ord))`: ties on score are
/// broken by ascending `ord`, i.e. ascending key, independent of segments.
struct OrdTieBreak;

struct OrdSegmentTieBreak(Arc<dyn ColumnValues<u64>>);

impl ScoreTweaker<(Score, Reverse<u64>)> for OrdTieBreak {
    type Child = OrdSegmentTieBreak;

    fn segment_tweaker(&self, segment_reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let column = segment_reader.fast_fields().u64("ord")?;
        Ok(OrdSegmentTieBreak(column.first_or_default_col(u64::MAX)))
    }
}

impl ScoreSegmentTweaker<(Score, Reverse<u64>)> for OrdSegmentTieBreak {
    fn score(&mut self, doc: DocId, score: Score) -> (Score, Reverse<u64>) {
        (score, Reverse(self.0.get_val(doc)))
    }
}

/// What [`IdentifierTokenizer`] emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// Sub-words of each identifier, plus the whole identifier when it has
    /// more than one sub-word.
    Split,
    /// Only whole identifiers.
    Whole,
}

/// Code-aware tokenizer.
///
/// Text is cut into identifiers: maximal runs of alphanumerics, `_`, `-` and
/// `.` (trimmed of leading/trailing punctuation). Each identifier is split on
/// `_ - .` and on camelCase / PascalCase boundaries, including acronyms
/// (`getHTTPResponse` → `get http response`; `listPRs` → `list prs`). Digits
/// stay attached to the preceding letters (`s3`, `base64Encode` → `base64
/// encode`). Everything is lowercased; in [`TokenMode::Split`] the whole
/// identifier is also emitted (`read_file` → `read_file read file`), and
/// short vowel-less plurals are singularised (`prs` → `pr`, `dbs` → `db`).
#[derive(Clone)]
pub struct IdentifierTokenizer {
    mode: TokenMode,
    tokens: Vec<Token>,
}

impl IdentifierTokenizer {
    /// Creates a tokenizer emitting tokens according to `mode`.
    pub fn new(mode: TokenMode) -> Self {
        IdentifierTokenizer {
            mode,
            tokens: Vec::new(),
        }
    }
}

/// Token stream over tokens precomputed by [`IdentifierTokenizer`].
pub struct IdentifierTokenStream<'a> {
    /// Real tokens followed by one sentinel (returned before/after iteration).
    tokens: &'a mut Vec<Token>,
    /// Number of `advance` calls so far.
    cursor: usize,
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = IdentifierTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IdentifierTokenStream<'a> {
        self.tokens.clear();
        tokenize_into(text, self.mode, &mut self.tokens);
        self.tokens.push(Token::default());
        IdentifierTokenStream {
            tokens: &mut self.tokens,
            cursor: 0,
        }
    }
}

impl IdentifierTokenStream<'_> {
    fn current(&self) -> usize {
        let real = self.tokens.len() - 1;
        if self.cursor == 0 || self.cursor > real {
            real
        } else {
            self.cursor - 1
        }
    }
}

impl TokenStream for IdentifierTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let real = self.tokens.len() - 1;
        if self.cursor <= real {
            self.cursor += 1;
        }
        self.cursor <= real
    }

    fn token(&self) -> &Token {
        &self.tokens[self.current()]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.current();
        &mut self.tokens[i]
    }
}

fn is_connector(c: char) -> bool {
    matches!(c, '_' | '-' | '.')
}

/// Appends the tokens of `text` to `out`.
fn tokenize_into(text: &str, mode: TokenMode, out: &mut Vec<Token>) {
    let mut position = 0usize;
    let mut emit = |out: &mut Vec<Token>, s: String, from: usize, to: usize| {
        if s.is_empty() || s.len() > MAX_TOKEN_BYTES {
            return;
        }
        out.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: s,
            position_length: 1,
        });
        position += 1;
    };

    let mut parts: Vec<(usize, usize)> = Vec::new();
    for_each_chunk(text, |chunk, s| {
        let e = s + chunk.len();
        parts.clear();
        split_identifier(chunk, s, &mut parts);
        match mode {
            TokenMode::Whole => emit(out, chunk.to_lowercase(), s, e),
            TokenMode::Split => {
                if parts.len() > 1 {
                    emit(out, chunk.to_lowercase(), s, e);
                }
                for &(ps, pe) in &parts {
                    emit(out, normalize_part(&text[ps..pe]), ps, pe);
                }
            }
        }
    });
}

/// Calls `f(identifier, byte offset)` for each identifier of `text`: a maximal run of
/// alphanumerics and connectors, trimmed of leading/trailing connectors ("file." → "file").
fn for_each_chunk(text: &str, mut f: impl FnMut(&str, usize)) {
    let mut start: Option<usize> = None;
    let mut visit = |s: usize, e: usize| {
        let raw = &text[s..e];
        let trimmed_start = raw.trim_start_matches(is_connector);
        let s = s + (raw.len() - trimmed_start.len());
        let chunk = trimmed_start.trim_end_matches(is_connector);
        if !chunk.is_empty() {
            f(chunk, s);
        }
    };
    for (i, c) in text.char_indices() {
        let ident = c.is_alphanumeric() || is_connector(c);
        match (ident, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                visit(s, i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        visit(s, text.len());
    }
}

/// Splits one identifier into sub-word byte ranges (absolute, using `base`).
fn split_identifier(chunk: &str, base: usize, parts: &mut Vec<(usize, usize)>) {
    let chars: Vec<(usize, char)> = chunk.char_indices().collect();
    let n = chars.len();
    let mut run_start: Option<usize> = None; // index into `chars`
    for i in 0..=n {
        let c = chars.get(i).map(|&(_, c)| c);
        let alnum = c.is_some_and(char::is_alphanumeric);
        if !alnum {
            if let Some(rs) = run_start.take() {
                split_camel(&chars[rs..i], base, end_byte(&chars, i, chunk.len()), parts);
            }
            continue;
        }
        if run_start.is_none() {
            run_start = Some(i);
        }
    }
}

fn end_byte(chars: &[(usize, char)], i: usize, len: usize) -> usize {
    chars.get(i).map_or(len, |&(b, _)| b)
}

/// Splits an alphanumeric run on camelCase / acronym boundaries.
fn split_camel(
    run: &[(usize, char)],
    base: usize,
    run_end: usize,
    parts: &mut Vec<(usize, usize)>,
) {
    let n = run.len();
    let mut start = 0usize;
    for i in 1..n {
        let prev = run[i - 1].1;
        let cur = run[i].1;
        let next = run.get(i + 1).map(|&(_, c)| c);
        let boundary = if !cur.is_uppercase() {
            false
        } else if prev.is_lowercase() || prev.is_numeric() {
            // "getHttp", "base64Encode"
            true
        } else if prev.is_uppercase() {
            // "HTTPResponse": split before the last capital of an acronym,
            // unless it is a plural acronym ("PRs", "URLsFor").
            match next {
                Some(nc) if nc.is_lowercase() => {
                    let plural_acronym =
                        nc == 's' && run.get(i + 2).is_none_or(|&(_, c)| !c.is_lowercase());
                    !plural_acronym
                }
                _ => false,
            }
        } else {
            false
        };
        if boundary {
            parts.push((base + run[start].0, base + run[i].0));
            start = i;
        }
    }
    if n > 0 {
        parts.push((base + run[start].0, base + run_end));
    }
}

/// Lowercases a sub-word and singularises short vowel-less plurals
/// (`prs` → `pr`, `dbs` → `db`), which the English stemmer leaves alone.
fn normalize_part(part: &str) -> String {
    let lower = part.to_lowercase();
    let b = lower.as_bytes();
    if (3..=5).contains(&b.len())
        && b.is_ascii()
        && b[b.len() - 1] == b's'
        && b[b.len() - 2] != b's'
        && b[..b.len() - 1]
            .iter()
            .all(|c| c.is_ascii_alphabetic() && !b"aeiouy".contains(c))
    {
        return lower[..lower.len() - 1].to_string();
    }
    lower
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(server: &str, name: &str, description: &str, params: &[&str]) -> ToolDoc {
        ToolDoc {
            key: format!("{server}:{name}"),
            server: server.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            param_names: params.iter().map(|p| p.to_string()).collect(),
            param_text: String::new(),
            ..Default::default()
        }
    }

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    fn split_tokens(text: &str) -> Vec<String> {
        let mut tok = IdentifierTokenizer::new(TokenMode::Split);
        let mut stream = tok.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    fn keys(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.key.as_str()).collect()
    }

    fn corpus() -> Vec<ToolDoc> {
        vec![
            tool(
                "fs",
                "read_file",
                "Read the contents of a file from disk.",
                &["path"],
            ),
            tool(
                "fs",
                "read_files",
                "Read several files at once.",
                &["paths"],
            ),
            tool(
                "fs",
                "write_file",
                "Write text content to a file.",
                &["path", "content"],
            ),
            tool(
                "fs",
                "list_directory",
                "List entries of a directory.",
                &["path"],
            ),
            tool(
                "web",
                "getHTTPResponse",
                "Fetch a URL and return the response body.",
                &["url"],
            ),
            tool(
                "github",
                "listPRs",
                "List pull requests of a repository.",
                &["owner", "repo"],
            ),
            tool(
                "github",
                "create_issue",
                "Open a new issue.",
                &["owner", "repo", "title"],
            ),
            tool(
                "github",
                "search_code",
                "Searching code across repositories.",
                &["query"],
            ),
            tool(
                "slack",
                "post_message",
                "Send a chat message to a channel.",
                &["channelId", "text"],
            ),
            tool(
                "weather",
                "get_forecast",
                "Weather forecast for a location.",
                &["latitude", "longitude"],
            ),
        ]
    }

    /// Tools whose names share nouns and filler words, to check that the query's task words,
    /// not its filler, decide.
    fn agent_corpus() -> Vec<ToolDoc> {
        let mut docs = corpus();
        docs.extend([
            tool(
                "slack",
                "slack_reply_to_thread",
                "Reply to a specific message thread in Slack.",
                &["channel_id", "thread_ts", "text"],
            ),
            tool(
                "git",
                "git_add",
                "Adds file contents to the staging area.",
                &["files"],
            ),
            tool(
                "git",
                "git_status",
                "Shows the working tree status.",
                &["repo_path"],
            ),
            tool("git", "git_log", "Shows the commit logs.", &["repo_path"]),
            tool(
                "github",
                "get_issue",
                "Get details of a specific issue.",
                &["issue_number"],
            ),
            tool(
                "github",
                "update_issue",
                "Update an existing issue: title, body, state (open or closed).",
                &["issue_number", "state"],
            ),
            tool(
                "github",
                "merge_pull_request",
                "Merge a pull request.",
                &["pull_number", "merge_method"],
            ),
            tool(
                "memory",
                "add_observations",
                "Add new observations to existing entities in the knowledge graph.",
                &["observations"],
            ),
            tool(
                "db",
                "create_table",
                "Create a new table in the SQLite database.",
                &["query"],
            ),
            tool(
                "db",
                "describe_table",
                "Get the schema information for a table.",
                &["table_name"],
            ),
        ]);
        for d in &mut docs {
            if d.server == "github" {
                d.description = format!("{} (GitHub API)", d.description);
            }
        }
        docs
    }

    #[test]
    fn filler_words_do_not_decide() {
        let idx = ToolIndex::build(&agent_corpus()).unwrap();
        // "to" and "a" are in slack_reply_to_thread's name; they must not pull it first.
        let hits = idx.search("how to write a file to disk", 3);
        assert_eq!(hits[0].key, "fs:write_file", "{hits:?}");
        assert!(
            idx.search("to", 5).is_empty(),
            "a stopword alone matches nothing"
        );
        // The whole tool name still finds the tool.
        assert_eq!(
            idx.search("slack_reply_to_thread", 1)[0].key,
            "slack:slack_reply_to_thread"
        );
    }

    #[test]
    fn brand_case_does_not_matter() {
        let idx = ToolIndex::build(&agent_corpus()).unwrap();
        let lower = keys(&idx.search("github issue details", 3))
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let camel = keys(&idx.search("GitHub issue details", 3))
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        assert_eq!(lower, camel);
        assert!(camel[0].starts_with("github:"), "{camel:?}");
    }

    #[test]
    fn developer_synonyms_bridge_vocabulary() {
        let idx = ToolIndex::build(&agent_corpus()).unwrap();
        assert_eq!(
            idx.search("show what is in a folder", 3)[0].key,
            "fs:list_directory"
        );
        assert_eq!(
            idx.search("squash and ship this PR", 3)[0].key,
            "github:merge_pull_request"
        );
        assert_eq!(idx.search("stage my changes", 3)[0].key, "git:git_add");
        assert_eq!(
            idx.search("jot down a note about Alice", 3)[0].key,
            "memory:add_observations"
        );
    }

    #[test]
    fn the_verb_decides_between_tools_on_one_noun() {
        let idx = ToolIndex::build(&agent_corpus()).unwrap();
        assert_eq!(
            idx.search("close issue 31", 3)[0].key,
            "github:update_issue"
        );
        assert_eq!(
            idx.search("set up a new table", 3)[0].key,
            "db:create_table"
        );
        assert_eq!(
            idx.search("what columns does the table have", 3)[0].key,
            "db:describe_table"
        );
    }

    #[test]
    fn tokenizer_splits_identifiers() {
        assert_eq!(split_tokens("read_file"), ["read_file", "read", "file"]);
        assert_eq!(
            split_tokens("getHTTPResponse"),
            ["gethttpresponse", "get", "http", "response"]
        );
        assert_eq!(split_tokens("listPRs"), ["listprs", "list", "pr"]);
        assert_eq!(split_tokens("list_prs"), ["list_prs", "list", "pr"]);
        assert_eq!(
            split_tokens("kebab-case.dot"),
            ["kebab-case.dot", "kebab", "case", "dot"]
        );
        assert_eq!(
            split_tokens("XMLHttpRequest"),
            ["xmlhttprequest", "xml", "http", "request"]
        );
        assert_eq!(
            split_tokens("base64Encode s3"),
            ["base64encode", "base64", "encode", "s3"]
        );
        assert_eq!(
            split_tokens("getURLsFor"),
            ["geturlsfor", "get", "urls", "for"]
        );
        assert_eq!(
            split_tokens("(\"Reads\" a file.) server:tool"),
            ["reads", "a", "file", "server", "tool"]
        );
        assert!(split_tokens("  ,;:()*  ").is_empty());
    }

    #[test]
    fn analyzers_stem_and_keep_exact_names() {
        assert_eq!(
            tokens(&mut ident_analyzer(), "Searching files"),
            ["search", "file"]
        );
        assert_eq!(
            tokens(&mut exact_analyzer(), "Read_File now"),
            ["read_file", "now"]
        );
        assert_eq!(
            tokens(&mut exact_analyzer(), "github:create_issue"),
            ["github", "create_issue"]
        );
    }

    #[test]
    fn exact_name_ranks_first() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        for (q, want) in [
            ("read_file", "fs:read_file"),
            ("read_files", "fs:read_files"),
            ("write_file", "fs:write_file"),
            ("getHTTPResponse", "web:getHTTPResponse"),
        ] {
            let hits = idx.search(q, 5);
            assert_eq!(hits[0].key, want, "query {q:?}: {hits:?}");
            assert!(
                hits.get(1).is_none_or(|h| hits[0].score > h.score),
                "query {q:?}: {hits:?}"
            );
        }
    }

    #[test]
    fn camel_and_snake_match_both_ways() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        // snake_case query → camelCase tool
        assert_eq!(
            idx.search("get_http_response", 3)[0].key,
            "web:getHTTPResponse"
        );
        assert_eq!(idx.search("list_prs", 3)[0].key, "github:listPRs");
        assert_eq!(idx.search("list PR", 3)[0].key, "github:listPRs");
        // camelCase query → snake_case tool
        assert_eq!(idx.search("createIssue", 3)[0].key, "github:create_issue");
        assert_eq!(idx.search("PostMessage", 3)[0].key, "slack:post_message");
        // plain words → tool with identifier name
        assert_eq!(idx.search("http response", 3)[0].key, "web:getHTTPResponse");
    }

    #[test]
    fn stemming_matches_inflections() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        // No document contains the literal words below; only stems match.
        assert_eq!(idx.search("searches", 3)[0].key, "github:search_code");
        // "forecasts" → "forecast"; "directories" → "directori" == "directory".
        assert_eq!(idx.search("forecasts", 3)[0].key, "weather:get_forecast");
        assert_eq!(idx.search("directories", 3)[0].key, "fs:list_directory");
        // "messages" matches post_message.
        assert_eq!(idx.search("messages", 3)[0].key, "slack:post_message");
    }

    #[test]
    fn param_name_matches() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        assert_eq!(idx.search("latitude", 3)[0].key, "weather:get_forecast");
        // camelCase param "channelId" found by "channel id".
        assert_eq!(idx.search("channel_id", 3)[0].key, "slack:post_message");
        let hits = idx.search("title", 10);
        assert_eq!(keys(&hits), ["github:create_issue"]);
    }

    #[test]
    fn param_text_matches() {
        let mut docs = corpus();
        docs.push(ToolDoc {
            param_text: "isbn: the zebra identifier".into(),
            ..tool("books", "lookup", "Look a book up.", &["isbn"])
        });
        let idx = ToolIndex::build(&docs).unwrap();
        assert_eq!(keys(&idx.search("zebra", 5)), ["books:lookup"]);
    }

    #[test]
    fn server_name_matches() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        let hits = idx.search("github", 10);
        let mut got = keys(&hits);
        got.sort();
        assert_eq!(
            got,
            [
                "github:create_issue",
                "github:listPRs",
                "github:search_code"
            ]
        );
        // "server:tool" style query ranks that tool first.
        assert_eq!(
            idx.search("github:create_issue", 3)[0].key,
            "github:create_issue"
        );
    }

    #[test]
    fn special_characters_never_error() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        for q in [
            "\"read file\"",
            "name:read_file",
            "(read OR write) AND file",
            "*",
            "file*",
            "~!@#$%^&*()_+{}|:\"<>?[]\\;',./`",
            "+file -write",
            "read^2 file~1",
            "fs:read_file)",
            "AND",
            "ünïcödé 文件 読む",
            "\u{0}\u{7f}",
        ] {
            let _ = idx.search(q, 5);
        }
        assert_eq!(
            idx.search("(write) AND \"file\"*", 1)[0].key,
            "fs:write_file"
        );
        assert!(idx.search("*", 5).is_empty());
        let long = "a".repeat(10_000);
        assert!(idx.search(&long, 5).is_empty());
    }

    #[test]
    fn empty_query_and_no_match() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        assert!(idx.search("", 5).is_empty());
        assert!(idx.search("   \t\n ", 5).is_empty());
        assert!(idx.search("xylophone", 5).is_empty());
        assert!(idx.search("file", 0).is_empty());
    }

    #[test]
    fn limit_is_respected() {
        let idx = ToolIndex::build(&corpus()).unwrap();
        let all = idx.search("file path repo", 100);
        assert!(all.len() > 3, "{all:?}");
        assert_eq!(idx.search("file path repo", 3).len(), 3);
        assert_eq!(idx.search("file path repo", 1).len(), 1);
        assert_eq!(keys(&idx.search("file path repo", 3)), keys(&all[..3]));
    }

    #[test]
    fn order_is_deterministic_with_key_tie_break() {
        // Identical tools except for the key: scores tie, keys decide. (Lexical ranking: the
        // server names would make the embeddings differ.)
        let mut docs: Vec<ToolDoc> = ["zeta", "alpha", "mid", "beta"]
            .iter()
            .map(|s| tool(s, "ping", "Ping the host.", &[]))
            .collect();
        docs.push(tool("other", "pong", "Unrelated.", &[]));
        let lexical = SearchTuning {
            fusion: Fusion::Lexical,
            ..SearchTuning::default()
        };
        let idx = ToolIndex::build_with(&docs, lexical.clone()).unwrap();
        let hits = idx.search("ping", 10);
        assert_eq!(
            keys(&hits),
            ["alpha:ping", "beta:ping", "mid:ping", "zeta:ping"]
        );
        assert!(hits.windows(2).all(|w| w[0].score == w[1].score));
        // Limit cuts ties by key too.
        assert_eq!(keys(&idx.search("ping", 2)), ["alpha:ping", "beta:ping"]);
        // Same input in another order gives the same output, with either ranking.
        let hybrid = ToolIndex::build(&docs)
            .unwrap()
            .search("ping pong host", 10);
        docs.reverse();
        let idx2 = ToolIndex::build_with(&docs, lexical).unwrap();
        assert_eq!(keys(&idx2.search("ping", 10)), keys(&hits));
        let hybrid2 = ToolIndex::build(&docs)
            .unwrap()
            .search("ping pong host", 10);
        assert_eq!(keys(&hybrid), keys(&hybrid2));
        // Scores are sorted descending.
        assert!(hybrid.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn duplicate_keys_are_indexed_once() {
        let mut docs = corpus();
        docs.push(docs[0].clone());
        let idx = ToolIndex::build(&docs).unwrap();
        assert_eq!(idx.len(), corpus().len());
        assert_eq!(
            idx.search("read_file", 10)
                .iter()
                .filter(|h| h.key == "fs:read_file")
                .count(),
            1
        );
    }

    #[test]
    fn empty_index() {
        let idx = ToolIndex::build(&[]).unwrap();
        assert!(idx.is_empty());
        assert_eq!(idx.len(), 0);
        assert!(idx.search("anything", 10).is_empty());
        let idx = ToolIndex::build(&corpus()).unwrap();
        assert!(!idx.is_empty());
        assert_eq!(idx.len(), 10);
    }

    #[test]
    fn index_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ToolIndex>();
        let hit = SearchHit {
            key: "a:b".into(),
            score: 1.5,
        };
        assert_eq!(
            serde_json::to_value(&hit).unwrap(),
            serde_json::json!({"key": "a:b", "score": 1.5})
        );
    }

    #[test]
    fn ten_thousand_tools() {
        const VERBS: [&str; 10] = [
            "get", "list", "create", "update", "delete", "search", "read", "write", "sync", "fetch",
        ];
        const NOUNS: [&str; 20] = [
            "file", "issue", "user", "repo", "message", "channel", "event", "ticket", "invoice",
            "order", "record", "table", "bucket", "object", "page", "comment", "label", "branch",
            "commit", "task",
        ];
        let docs: Vec<ToolDoc> = (0..10_000)
            .map(|i| {
                let verb = VERBS[i % VERBS.len()];
                let noun = NOUNS[(i / VERBS.len()) % NOUNS.len()];
                let server = format!("server{}", i / 50);
                let name = format!("{verb}_{noun}_v{i}");
                let description = format!(
                    "{verb} a {noun} in the {server} backend. Returns the {noun} as JSON; \
                     supports pagination and filtering by owner and date."
                );
                ToolDoc {
                    key: format!("{server}:{name}"),
                    param_text: format!("{noun}_id: identifier of the {noun}"),
                    ..tool(
                        &server,
                        &name,
                        &description,
                        &[&format!("{noun}Id"), "limit", "cursor"],
                    )
                }
            })
            .collect();
        let t0 = std::time::Instant::now();
        let idx = ToolIndex::build(&docs).unwrap();
        let build = t0.elapsed();
        assert_eq!(idx.len(), 10_000);

        let t1 = std::time::Instant::now();
        let target = &docs[7453];
        let hits = idx.search(&target.name, 10);
        let query = t1.elapsed();
        assert_eq!(hits[0].key, target.key);
        assert_eq!(target.key, "server149:update_channel_v7453");

        let t2 = std::time::Instant::now();
        let broad = idx.search("search comments on a branch and list labels", 20);
        let broad_query = t2.elapsed();
        assert_eq!(broad.len(), 20);
        assert!(broad.windows(2).all(|w| w[0].score >= w[1].score));
        eprintln!("10k tools: build {build:?}, exact query {query:?}, broad query {broad_query:?}");
    }
}
