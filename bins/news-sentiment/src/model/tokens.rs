//! Text to token ids as the checkpoint was trained with: its `tokenizer.json`, or for a BERT
//! WordPiece model only `vocab.txt` (built as HuggingFace's BertTokenizer builds it), truncated
//! to the positions the model has.

use std::path::Path;

use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{Tokenizer, TruncationParams};

use super::{ModelError, read_bounded};

/// `tokenizer.json` larger than this is refused (BERT's is 0.7 MB, XLM-R's 17 MB).
const TOKENIZER_MAX: u64 = 64 << 20;
/// `vocab.txt` larger than this is refused (BERT's is 0.2 MB).
const VOCAB_MAX: u64 = 16 << 20;
/// `tokenizer_config.json` larger than this is refused.
const TOKENIZER_CONFIG_MAX: u64 = 1 << 20;

/// A text as the model reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIds(pub Vec<u32>);

/// The checkpoint's tokenizer.
pub struct Tokens {
    tokenizer: Tokenizer,
    vocab_size: usize,
}

impl Tokens {
    /// Loads `dir`'s `tokenizer.json`, else builds a BERT WordPiece tokenizer from its
    /// `vocab.txt` (lower-cased unless `tokenizer_config.json` says `do_lower_case: false`);
    /// inputs are cut to `max_tokens` and every id must be below `vocab_size`.
    pub fn load(
        dir: &Path,
        wordpiece_allowed: bool,
        max_tokens: usize,
        vocab_size: usize,
    ) -> Result<Tokens, ModelError> {
        let json = dir.join("tokenizer.json");
        let vocab = dir.join("vocab.txt");
        let (mut tokenizer, file) = if json.exists() {
            let bytes = read_bounded(&json, TOKENIZER_MAX)?;
            let tokenizer = Tokenizer::from_bytes(&bytes).map_err(|e| {
                ModelError::new(
                    &json,
                    format!(
                        "is not a tokenizer ({e}); put the checkpoint's own tokenizer.json there"
                    ),
                )
            })?;
            (tokenizer, json)
        } else if wordpiece_allowed && vocab.exists() {
            (wordpiece(dir, &vocab)?, vocab)
        } else {
            let wanted = if wordpiece_allowed {
                "tokenizer.json or vocab.txt"
            } else {
                "tokenizer.json"
            };
            return Err(ModelError::new(
                dir,
                format!(
                    "has no {wanted}: copy the checkpoint's tokenizer files beside config.json"
                ),
            ));
        };
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::new(&file, format!("cannot truncate to {max_tokens}: {e}")))?;
        let size = tokenizer.get_vocab_size(true);
        if size > vocab_size {
            return Err(ModelError::new(
                &file,
                format!(
                    "has {size} tokens but config.json's vocab_size is {vocab_size}: \
                     the tokenizer belongs to another checkpoint"
                ),
            ));
        }
        Ok(Tokens {
            tokenizer,
            vocab_size,
        })
    }

    /// The ids of each text, special tokens added; `None` for a text the tokenizer refuses or
    /// that gives an id the model has no row for.
    pub fn encode(&self, texts: &[&str]) -> Vec<Option<TokenIds>> {
        texts
            .iter()
            .map(|text| {
                let encoding = self.tokenizer.encode(*text, true).ok()?;
                let ids = encoding.get_ids();
                (!ids.is_empty() && ids.iter().all(|&id| (id as usize) < self.vocab_size))
                    .then(|| TokenIds(ids.to_vec()))
            })
            .collect()
    }
}

/// HuggingFace's BertTokenizer from a `vocab.txt`: BERT normalizer (accents stripped when
/// lower-casing), BERT pre-tokenizer, WordPiece, `[CLS] … [SEP]`.
fn wordpiece(dir: &Path, vocab_path: &Path) -> Result<Tokenizer, ModelError> {
    let bytes = read_bounded(vocab_path, VOCAB_MAX)?;
    let vocab = WordPiece::read_bytes(&bytes).map_err(|e| {
        ModelError::new(
            vocab_path,
            format!("is not a vocabulary ({e}); use the checkpoint's own"),
        )
    })?;
    let id = |token: &str| {
        vocab.get(token).copied().ok_or_else(|| {
            ModelError::new(
                vocab_path,
                format!("has no {token} token: it is not a BERT WordPiece vocabulary; give a tokenizer.json"),
            )
        })
    };
    let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
    id("[UNK]")?;
    let model = WordPiece::builder()
        .vocab(vocab)
        .unk_token("[UNK]".to_string())
        .build()
        .map_err(|e| ModelError::new(vocab_path, format!("cannot be used: {e}")))?;
    let lowercase = lowercase(dir)?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer
        .with_normalizer(Some(BertNormalizer::new(true, true, None, lowercase)))
        .map_err(|e| ModelError::new(vocab_path, format!("cannot be used: {e}")))?
        .with_pre_tokenizer(Some(BertPreTokenizer))
        .with_post_processor(Some(BertProcessing::new(
            ("[SEP]".to_string(), sep),
            ("[CLS]".to_string(), cls),
        )));
    Ok(tokenizer)
}

/// `tokenizer_config.json`'s `do_lower_case`, true when absent as in HuggingFace.
fn lowercase(dir: &Path) -> Result<bool, ModelError> {
    #[derive(serde::Deserialize)]
    struct Config {
        do_lower_case: Option<bool>,
    }
    let path = dir.join("tokenizer_config.json");
    if !path.exists() {
        return Ok(true);
    }
    let bytes = read_bounded(&path, TOKENIZER_CONFIG_MAX)?;
    let config: Config = serde_json::from_slice(&bytes).map_err(|e| {
        ModelError::new(&path, format!("is not valid JSON ({e}); fix or remove it"))
    })?;
    Ok(config.do_lower_case.unwrap_or(true))
}
