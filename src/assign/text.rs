//! Text similarity for expertise fit (DESIGN §7): TF-IDF cosine over jieba-segmented Chinese
//! and stemmed English, with the matched terms kept so every score can be explained.

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Words that carry no expertise (English function words and generic Chinese filler).
const STOP_WORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "from",
    "that",
    "this",
    "are",
    "was",
    "its",
    "into",
    "based",
    "using",
    "study",
    "research",
    "研究",
    "技术",
    "应用",
    "开展",
    "进行",
    "项目",
    "通过",
    "以及",
    "及其",
    "相关",
    "主要",
    "方面",
    "提出",
    "实现",
    "基于",
    "我们",
    "本项目",
];

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Loads the segmentation dictionary (about 0.1 s) ahead of the first analysis, so that the
/// service's first draw or overview does not pay for it.
pub fn warm_up() {
    jieba();
    stemmer();
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
}

/// Splits text into index terms: Chinese words of two or more characters (jieba, no HMM so
/// results do not depend on unseen-word guessing), English words lower-cased and stemmed.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in jieba().cut(text, false) {
        let word = token.word.trim();
        if word.is_empty() {
            continue;
        }
        if word.chars().any(is_cjk) {
            if word.chars().count() >= 2 && !STOP_WORDS.contains(&word) {
                out.push(word.to_string());
            }
        } else if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            let lower = word.to_ascii_lowercase();
            if lower.len() >= 3
                && !STOP_WORDS.contains(&lower.as_str())
                && !lower.chars().all(|c| c.is_ascii_digit())
            {
                out.push(stemmer().stem(&lower).into_owned());
            }
        }
    }
    out
}

/// Terms of a document made of keywords and free text. A keyword counts as a whole term too,
/// so that an exact keyword match weighs more than a shared fragment.
pub fn document_terms(keywords: &[String], text: &[&str]) -> Vec<String> {
    let mut terms = Vec::new();
    for k in keywords {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        let lower = k.to_lowercase();
        terms.push(format!("kw:{lower}"));
        terms.extend(tokenize(k));
    }
    for t in text {
        terms.extend(tokenize(t));
    }
    terms
}

/// [`document_terms`] remembered by the document's text. Segmentation is most of a draw's
/// analysis and a registry's profiles rarely change between draws, so each profile is
/// segmented once per process and again only when its text changes (the key is the text
/// itself, so a changed profile can never reuse stale terms).
pub fn document_terms_cached(keywords: &[String], text: &[&str]) -> Arc<Vec<String>> {
    /// Past this many remembered documents the memo starts afresh (bounded memory).
    const CAPACITY: usize = 200_000;
    static MEMO: OnceLock<Mutex<HashMap<String, Arc<Vec<String>>>>> = OnceLock::new();
    let mut key = String::new();
    for k in keywords {
        key.push_str(k);
        key.push('\u{1f}');
    }
    for t in text {
        key.push('\u{1e}');
        key.push_str(t);
    }
    let memo = MEMO.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return found;
    }
    let terms = Arc::new(document_terms(keywords, text));
    if let Ok(mut m) = memo.lock() {
        if m.len() >= CAPACITY {
            m.clear();
        }
        m.insert(key, terms.clone());
    }
    terms
}

/// A sparse, L2-normalized TF-IDF vector: (term id, weight), sorted by term id.
pub type SparseVec = Vec<(u32, f32)>;

/// A fitted vocabulary with document frequencies, shared by items and experts.
#[derive(Debug, Default)]
pub struct Corpus {
    ids: HashMap<String, u32>,
    terms: Vec<String>,
    df: Vec<u32>,
    docs: u32,
}

impl Corpus {
    /// Builds the vocabulary from every document's terms.
    pub fn fit<'a>(documents: impl IntoIterator<Item = &'a Vec<String>>) -> Self {
        let mut corpus = Corpus::default();
        for doc in documents {
            corpus.docs += 1;
            let mut seen: Vec<u32> = doc.iter().map(|t| corpus.intern(t)).collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                corpus.df[id as usize] += 1;
            }
        }
        corpus
    }

    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.ids.insert(term.to_string(), id);
        self.terms.push(term.to_string());
        self.df.push(0);
        id
    }

    /// The readable form of a term (keyword prefix removed).
    pub fn term(&self, id: u32) -> &str {
        let t = &self.terms[id as usize];
        t.strip_prefix("kw:").unwrap_or(t)
    }

    fn weight(&self, df: u32, count: u32) -> f32 {
        let idf = ((1.0 + self.docs as f64) / (1.0 + df as f64)).ln() + 1.0;
        ((1.0 + (count as f64).ln()) * idf) as f32
    }

    /// TF-IDF vector (sublinear tf, smoothed idf), normalized to unit length.
    pub fn vector(&self, terms: &[String]) -> SparseVec {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for t in terms {
            if let Some(&id) = self.ids.get(t) {
                *counts.entry(id).or_default() += 1;
            }
        }
        let mut v: SparseVec = counts
            .into_iter()
            .map(|(id, n)| (id, self.weight(self.df[id as usize], n)))
            .collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        normalize(&mut v, 0.0);
        v
    }

    /// The vector of a document that is not part of the corpus (an item scored against the
    /// experts' corpus): a term no expert uses weighs as a document frequency of 0 in the
    /// length, so a long text with many such terms still matches less, but is left out of
    /// the vector (it can match nothing).
    pub fn query_vector(&self, terms: &[String]) -> SparseVec {
        let mut known: HashMap<u32, u32> = HashMap::new();
        let mut unknown: HashMap<&str, u32> = HashMap::new();
        for t in terms {
            match self.ids.get(t) {
                Some(&id) => *known.entry(id).or_default() += 1,
                None => *unknown.entry(t.as_str()).or_default() += 1,
            }
        }
        let mut unseen: Vec<f32> = unknown.values().map(|&n| self.weight(0, n)).collect();
        // Summed in a fixed order, so the length does not depend on the map's.
        unseen.sort_unstable_by(|a, b| a.total_cmp(b));
        let unseen_square: f64 = unseen.iter().map(|w| (*w as f64).powi(2)).sum();
        let mut v: SparseVec = known
            .into_iter()
            .map(|(id, n)| (id, self.weight(self.df[id as usize], n)))
            .collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        normalize(&mut v, unseen_square);
        v
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the corpus has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Scales `v` to unit length, counting `extra_square` (weights left out of `v`) in the length.
fn normalize(v: &mut SparseVec, extra_square: f64) {
    let norm = (v.iter().map(|(_, w)| (*w as f64).powi(2)).sum::<f64>() + extra_square).sqrt();
    if norm > 0.0 {
        for (_, w) in v {
            *w = (*w as f64 / norm) as f32;
        }
    }
}

/// Cosine of two normalized vectors.
pub fn cosine(a: &SparseVec, b: &SparseVec) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 as f64 * b[j].1 as f64;
                i += 1;
                j += 1;
            }
        }
    }
    sum.clamp(0.0, 1.0)
}

/// The shared terms of two vectors, strongest contribution first (for explanations).
pub fn shared_terms(corpus: &Corpus, a: &SparseVec, b: &SparseVec, limit: usize) -> Vec<String> {
    let bm: HashMap<u32, f32> = b.iter().copied().collect();
    let mut shared: Vec<(f32, u32)> = a
        .iter()
        .filter_map(|(id, w)| bm.get(id).map(|v| (w * v, *id)))
        .collect();
    shared.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, id) in shared {
        let t = corpus.term(id).to_string();
        if !out.contains(&t) {
            out.push(t);
        }
        if out.len() == limit {
            break;
        }
    }
    out
}

/// Inverted index over many vectors: finds every vector sharing a term with a query.
pub struct InvertedIndex {
    /// By term id: (position, weight), positions ascending.
    postings: Vec<Vec<(u32, f32)>>,
}

impl InvertedIndex {
    /// Indexes `vectors` by position.
    pub fn build(vectors: &[SparseVec]) -> Self {
        let terms = vectors
            .iter()
            .flat_map(|v| v.last())
            .map(|(t, _)| *t as usize + 1)
            .max()
            .unwrap_or(0);
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); terms];
        for (doc, v) in vectors.iter().enumerate() {
            for &(term, w) in v {
                postings[term as usize].push((doc as u32, w));
            }
        }
        Self { postings }
    }

    fn postings(&self, term: u32) -> &[(u32, f32)] {
        self.postings
            .get(term as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Adds the products of `query` with every indexed vector that shares a term into the
    /// dense `acc` (by position), listing each position touched once in `touched_list`. The
    /// sums are formed in the same order as `scores`, so the results are the same bits.
    pub fn accumulate(
        &self,
        query: &SparseVec,
        acc: &mut [f64],
        touched: &mut [bool],
        touched_list: &mut Vec<usize>,
    ) {
        for &(term, w) in query {
            for &(doc, v) in self.postings(term) {
                let d = doc as usize;
                if !touched[d] {
                    touched[d] = true;
                    touched_list.push(d);
                }
                acc[d] += w as f64 * v as f64;
            }
        }
    }

    /// Cosine of `query` with every indexed vector that shares a term, as (position, score)
    /// sorted by position.
    pub fn scores(&self, query: &SparseVec) -> Vec<(usize, f64)> {
        let mut acc: HashMap<u32, f64> = HashMap::new();
        for &(term, w) in query {
            for &(doc, v) in self.postings(term) {
                *acc.entry(doc).or_default() += w as f64 * v as f64;
            }
        }
        let mut out: Vec<(usize, f64)> = acc
            .into_iter()
            .map(|(d, s)| (d as usize, s.clamp(0.0, 1.0)))
            .collect();
        out.sort_unstable_by_key(|(d, _)| *d);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_segmented_and_english_stemmed() {
        let terms = tokenize("有色金属冶炼 Mining and smelting of metals");
        assert!(terms.iter().any(|t| t == "冶炼"), "{terms:?}");
        assert!(terms.contains(&"mine".to_string()), "{terms:?}");
        assert!(terms.contains(&"metal".to_string()), "{terms:?}");
        assert!(!terms.contains(&"and".to_string()));
    }

    #[test]
    fn identical_documents_have_cosine_one_and_disjoint_zero() {
        let a = document_terms(&["铜冶炼".into(), "烟气治理".into()], &[]);
        let b = document_terms(&["中医药".into()], &["针灸 临床"]);
        let corpus = Corpus::fit([&a, &b]);
        let va = corpus.vector(&a);
        let vb = corpus.vector(&b);
        assert!((cosine(&va, &va) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&va, &vb), 0.0);
        let index = InvertedIndex::build(&[va.clone(), vb]);
        let hits = index.scores(&va);
        assert_eq!(hits.len(), 1);
        assert!(shared_terms(&corpus, &va, &va, 3).contains(&"铜冶炼".to_string()));
    }
}
