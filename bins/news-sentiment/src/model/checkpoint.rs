//! A checkpoint's `config.json`: which of the three architectures, the encoder's sizes, its
//! activation and LayerNorm eps, how many positions it takes, and what its classes are called.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The sequence-classification architectures the scorer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `BertForSequenceClassification`: [CLS] → pooler dense + tanh → classifier.
    Bert,
    /// `DistilBertForSequenceClassification`: [CLS] → pre_classifier + ReLU → classifier.
    DistilBert,
    /// `RobertaForSequenceClassification`: <s> → classifier.dense + tanh → out_proj.
    Roberta,
}

impl Architecture {
    const NAMES: [(&'static str, Architecture); 3] = [
        ("BertForSequenceClassification", Architecture::Bert),
        (
            "DistilBertForSequenceClassification",
            Architecture::DistilBert,
        ),
        ("RobertaForSequenceClassification", Architecture::Roberta),
    ];
}

/// The feed-forward activation, named as HuggingFace's `hidden_act` / `activation` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// "gelu": the exact GELU, x·Φ(x) with erf.
    Gelu,
    /// "gelu_new" / "gelu_pytorch_tanh": the tanh approximation.
    GeluTanh,
    /// "relu".
    Relu,
}

/// The encoder's shape and settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderConfig {
    /// Which model.
    pub architecture: Architecture,
    /// Rows of the word embeddings.
    pub vocab_size: usize,
    /// Width of every hidden state.
    pub hidden: usize,
    /// Transformer layers.
    pub layers: usize,
    /// Attention heads per layer (they divide `hidden`).
    pub heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate: usize,
    /// Feed-forward activation.
    pub activation: Activation,
    /// LayerNorm epsilon.
    pub eps: f64,
    /// Rows of the position embeddings.
    pub max_positions: usize,
    /// Rows of the token-type embeddings (none in DistilBERT).
    pub type_vocab_size: usize,
    /// The padding token; RoBERTa numbers positions from it plus one.
    pub pad_token_id: u32,
}

impl EncoderConfig {
    /// The longest input in tokens, special tokens included.
    pub fn max_tokens(&self) -> usize {
        match self.architecture {
            Architecture::Roberta => self.max_positions - self.pad_token_id as usize - 1,
            Architecture::Bert | Architecture::DistilBert => self.max_positions,
        }
    }

    /// The position of a sequence's first token.
    pub fn first_position(&self) -> usize {
        match self.architecture {
            Architecture::Roberta => self.pad_token_id as usize + 1,
            Architecture::Bert | Architecture::DistilBert => 0,
        }
    }
}

/// What `config.json` says.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The encoder.
    pub encoder: EncoderConfig,
    /// Class index → the checkpoint's name for it, in index order.
    pub class_names: Vec<String>,
}

/// The keys read; BERT and RoBERTa name them one way, DistilBERT another.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Raw {
    architectures: Vec<String>,
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    intermediate_size: Option<usize>,
    hidden_act: Option<String>,
    layer_norm_eps: Option<f64>,
    max_position_embeddings: Option<usize>,
    type_vocab_size: Option<usize>,
    pad_token_id: Option<u32>,
    position_embedding_type: Option<String>,
    dim: Option<usize>,
    n_layers: Option<usize>,
    n_heads: Option<usize>,
    hidden_dim: Option<usize>,
    activation: Option<String>,
    id2label: BTreeMap<String, String>,
}

/// Bounds no real checkpoint comes near; a config past them is refused before any weight is read.
const MAX_WIDTH: usize = 16_384;
const MAX_LAYERS: usize = 96;
const MAX_POSITIONS: usize = 16_384;
const MAX_VOCAB: usize = 1_000_000;
const MAX_CLASSES: usize = 64;

impl Checkpoint {
    /// Reads `config.json`'s text. The error says what is wrong, without the file's name.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let raw: Raw = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let architecture = raw
            .architectures
            .iter()
            .find_map(|a| {
                Architecture::NAMES
                    .iter()
                    .find(|(name, _)| name == a)
                    .map(|(_, arch)| *arch)
            })
            .ok_or_else(|| {
                format!(
                    "architectures = {:?}: use a checkpoint of {}",
                    raw.architectures,
                    Architecture::NAMES.map(|(n, _)| n).join(", ")
                )
            })?;
        let need = |value: Option<usize>, key: &str, max: usize| match value {
            Some(v) if (1..=max).contains(&v) => Ok(v),
            Some(v) => Err(format!("{key} = {v} is out of range (1 to {max})")),
            None => Err(format!("{key} is missing")),
        };
        let distil = architecture == Architecture::DistilBert;
        let (hidden, layers, heads, intermediate, act, eps, type_vocab_size) = if distil {
            (
                need(raw.dim, "dim", MAX_WIDTH)?,
                need(raw.n_layers, "n_layers", MAX_LAYERS)?,
                need(raw.n_heads, "n_heads", MAX_WIDTH)?,
                need(raw.hidden_dim, "hidden_dim", MAX_WIDTH * 4)?,
                raw.activation.unwrap_or_else(|| "gelu".into()),
                // DistilBERT's LayerNorms are built with a fixed eps.
                1e-12,
                0,
            )
        } else {
            (
                need(raw.hidden_size, "hidden_size", MAX_WIDTH)?,
                need(raw.num_hidden_layers, "num_hidden_layers", MAX_LAYERS)?,
                need(raw.num_attention_heads, "num_attention_heads", MAX_WIDTH)?,
                need(raw.intermediate_size, "intermediate_size", MAX_WIDTH * 4)?,
                raw.hidden_act.unwrap_or_else(|| "gelu".into()),
                raw.layer_norm_eps.unwrap_or(1e-12),
                need(
                    Some(raw.type_vocab_size.unwrap_or(2)),
                    "type_vocab_size",
                    16,
                )?,
            )
        };
        if hidden % heads != 0 {
            return Err(format!(
                "{heads} attention heads do not divide the hidden size {hidden}"
            ));
        }
        let activation = match act.as_str() {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => {
                return Err(format!(
                    "activation {other:?} is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)"
                ));
            }
        };
        if !(eps > 0.0 && eps < 1.0) {
            return Err(format!(
                "layer_norm_eps = {eps} is not a small positive number"
            ));
        }
        if let Some(kind) = raw.position_embedding_type
            && kind != "absolute"
        {
            return Err(format!(
                "position_embedding_type = {kind:?}: only \"absolute\" is supported"
            ));
        }
        let pad_token_id = raw.pad_token_id.unwrap_or(match architecture {
            Architecture::Roberta => 1,
            Architecture::Bert | Architecture::DistilBert => 0,
        });
        let encoder = EncoderConfig {
            architecture,
            vocab_size: need(raw.vocab_size, "vocab_size", MAX_VOCAB)?,
            hidden,
            layers,
            heads,
            intermediate,
            activation,
            eps,
            max_positions: need(
                raw.max_position_embeddings,
                "max_position_embeddings",
                MAX_POSITIONS,
            )?,
            type_vocab_size,
            pad_token_id,
        };
        if pad_token_id as usize >= encoder.vocab_size {
            return Err(format!(
                "pad_token_id = {pad_token_id} is not below vocab_size = {}",
                encoder.vocab_size
            ));
        }
        if architecture == Architecture::Roberta
            && encoder.max_positions < pad_token_id as usize + 4
        {
            return Err(format!(
                "max_position_embeddings = {} leaves no room for tokens after RoBERTa's \
                 padding_idx {pad_token_id}",
                encoder.max_positions
            ));
        }
        Ok(Checkpoint {
            encoder,
            class_names: class_names(&raw.id2label)?,
        })
    }
}

/// `id2label` as a list in index order: its keys must be 0, 1, … n-1.
fn class_names(id2label: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
    if id2label.len() < 2 || id2label.len() > MAX_CLASSES {
        return Err(format!(
            "id2label has {} classes: a sentiment classifier has 2 to {MAX_CLASSES} \
             (name them positive, negative, neutral)",
            id2label.len()
        ));
    }
    let mut names = vec![None; id2label.len()];
    for (key, name) in id2label {
        let slot = key
            .parse::<usize>()
            .ok()
            .and_then(|i| names.get_mut(i))
            .ok_or_else(|| {
                format!(
                    "id2label key {key:?} is not a class index 0 to {}",
                    id2label.len() - 1
                )
            })?;
        *slot = Some(name.clone());
    }
    Ok(names.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERT: &str = r#"{"architectures": ["BertForSequenceClassification"], "vocab_size": 100,
        "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
        "intermediate_size": 64, "max_position_embeddings": 40,
        "id2label": {"0": "positive", "1": "negative", "2": "neutral"}}"#;

    fn with(key: &str, value: &str) -> String {
        let mut v: serde_json::Value = serde_json::from_str(BERT).unwrap();
        v[key] = serde_json::from_str(value).unwrap();
        v.to_string()
    }

    #[test]
    fn a_bert_config_takes_huggingface_defaults() {
        let c = Checkpoint::parse(BERT).unwrap();
        assert_eq!(c.encoder.architecture, Architecture::Bert);
        assert_eq!(c.encoder.activation, Activation::Gelu);
        assert_eq!(c.encoder.eps, 1e-12);
        assert_eq!(c.encoder.type_vocab_size, 2);
        assert_eq!(c.encoder.max_tokens(), 40);
        assert_eq!(c.class_names, ["positive", "negative", "neutral"]);
    }

    #[test]
    fn roberta_positions_start_after_the_padding_index() {
        let text = with("architectures", r#"["RobertaForSequenceClassification"]"#);
        let c = Checkpoint::parse(&text).unwrap();
        assert_eq!(c.encoder.pad_token_id, 1);
        assert_eq!(c.encoder.first_position(), 2);
        assert_eq!(c.encoder.max_tokens(), 38);
    }

    #[test]
    fn broken_configs_are_refused_saying_what_is_wrong() {
        for (text, words) in [
            ("{", "not valid JSON"),
            ("[]", "architectures = []"),
            (&with("architectures", r#"["BertModel"]"#), "BertModel"),
            (&with("num_attention_heads", "5"), "do not divide"),
            (&with("hidden_size", "0"), "hidden_size = 0 is out of range"),
            (&with("hidden_size", "1e12"), "not valid JSON"),
            (
                &with("hidden_act", r#""swish""#),
                "\"swish\" is not supported",
            ),
            (&with("layer_norm_eps", "-1"), "layer_norm_eps"),
            (
                &with("position_embedding_type", r#""relative_key""#),
                "absolute",
            ),
            (&with("id2label", r#"{"0": "positive"}"#), "1 classes"),
            (&with("id2label", r#"{"0": "a", "7": "b"}"#), "\"7\""),
            (&with("vocab_size", "99999999999"), "vocab_size"),
            (&with("pad_token_id", "100"), "pad_token_id"),
        ] {
            let err = Checkpoint::parse(text).unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
    }
}
