//! The BERT-family encoder and classification heads, written after HuggingFace's modelling
//! code (BertModel, DistilBertModel, RobertaModel) with candle's tensors and its Linear,
//! LayerNorm and Embedding: the three differ only in their weights' names, RoBERTa's
//! positions, DistilBERT's missing token types, and the head on the first token.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, LayerNormConfig, Linear, VarBuilder};

use super::checkpoint::{Activation, Architecture, EncoderConfig};

/// A batch of inputs of one length: ids `(batch, tokens)` u32 and a mask `(batch, tokens)`,
/// 1 for a token and 0 for padding.
pub struct Batch {
    /// Token ids, padded with the checkpoint's padding id.
    pub ids: Tensor,
    /// 1.0 where a token is, 0.0 where padding is.
    pub mask: Tensor,
}

impl Batch {
    /// `rows` padded with `pad` to the longest of them.
    pub fn new(rows: &[&[u32]], pad: u32, device: &Device) -> Result<Batch> {
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(rows.len() * width);
        let mut mask = Vec::with_capacity(rows.len() * width);
        for row in rows {
            ids.extend_from_slice(row);
            ids.extend(std::iter::repeat_n(pad, width - row.len()));
            mask.extend(std::iter::repeat_n(1f32, row.len()));
            mask.extend(std::iter::repeat_n(0f32, width - row.len()));
        }
        Ok(Batch {
            ids: Tensor::from_vec(ids, (rows.len(), width), device)?,
            mask: Tensor::from_vec(mask, (rows.len(), width), device)?,
        })
    }
}

/// The weights' names in one architecture.
struct Names {
    prefix: &'static str,
    layers: &'static str,
    query: &'static str,
    key: &'static str,
    value: &'static str,
    attention_out: &'static str,
    attention_norm: &'static str,
    intermediate: &'static str,
    output: &'static str,
    output_norm: &'static str,
}

const BERT_NAMES: Names = Names {
    prefix: "bert",
    layers: "encoder.layer",
    query: "attention.self.query",
    key: "attention.self.key",
    value: "attention.self.value",
    attention_out: "attention.output.dense",
    attention_norm: "attention.output.LayerNorm",
    intermediate: "intermediate.dense",
    output: "output.dense",
    output_norm: "output.LayerNorm",
};

const DISTILBERT_NAMES: Names = Names {
    prefix: "distilbert",
    layers: "transformer.layer",
    query: "attention.q_lin",
    key: "attention.k_lin",
    value: "attention.v_lin",
    attention_out: "attention.out_lin",
    attention_norm: "sa_layer_norm",
    intermediate: "ffn.lin1",
    output: "ffn.lin2",
    output_norm: "output_layer_norm",
};

struct Embeddings {
    words: Embedding,
    positions: Embedding,
    token_types: Option<Embedding>,
    norm: LayerNorm,
    first_position: u32,
}

impl Embeddings {
    fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let (_, tokens) = ids.dims2()?;
        let mut x = self.words.forward(ids)?;
        // Every row is numbered from the first position: padding after the tokens gets
        // positions too, which the attention mask keeps from mattering.
        let positions = Tensor::arange(
            self.first_position,
            self.first_position + tokens as u32,
            ids.device(),
        )?;
        x = x.broadcast_add(&self.positions.forward(&positions)?)?;
        if let Some(types) = &self.token_types {
            // A single sentence is all type 0.
            let zero = Tensor::zeros(1, DType::U32, ids.device())?;
            x = x.broadcast_add(&types.forward(&zero)?)?;
        }
        self.norm.forward(&x)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl Layer {
    fn load(c: &EncoderConfig, names: &Names, vb: VarBuilder) -> Result<Layer> {
        let h = c.hidden;
        let norm = |name: &str| candle_nn::layer_norm(h, ln_config(c.eps), vb.pp(name));
        Ok(Layer {
            query: candle_nn::linear(h, h, vb.pp(names.query))?,
            key: candle_nn::linear(h, h, vb.pp(names.key))?,
            value: candle_nn::linear(h, h, vb.pp(names.value))?,
            attention_out: candle_nn::linear(h, h, vb.pp(names.attention_out))?,
            attention_norm: norm(names.attention_norm)?,
            intermediate: candle_nn::linear(h, c.intermediate, vb.pp(names.intermediate))?,
            output: candle_nn::linear(c.intermediate, h, vb.pp(names.output))?,
            output_norm: norm(names.output_norm)?,
        })
    }

    /// `x` `(batch, tokens, hidden)`; `bias` `(batch, 1, 1, tokens)`, 0 or very negative.
    fn forward(&self, x: &Tensor, bias: &Tensor, heads: usize, act: Activation) -> Result<Tensor> {
        let (batch, tokens, hidden) = x.dims3()?;
        let width = hidden / heads;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape((batch, tokens, heads, width))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores =
            (q.matmul(&k.t()?.contiguous()?)? / (width as f64).sqrt())?.broadcast_add(bias)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, tokens, hidden))?;
        let x = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + x)?)?;
        let inner = self.intermediate.forward(&x)?;
        let inner = match act {
            Activation::Gelu => inner.gelu_erf()?,
            Activation::GeluTanh => inner.gelu()?,
            Activation::Relu => inner.relu()?,
        };
        self.output_norm
            .forward(&(self.output.forward(&inner)? + x)?)
    }
}

/// The head on the first token's hidden state: dense, tanh (ReLU in DistilBERT), out.
struct Head {
    dense: Linear,
    relu: bool,
    out: Linear,
}

/// An encoder with its classification head.
pub struct Encoder {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    head: Head,
    heads: usize,
    activation: Activation,
}

fn ln_config(eps: f64) -> LayerNormConfig {
    LayerNormConfig {
        eps,
        ..LayerNormConfig::default()
    }
}

impl Encoder {
    /// The weights `vb` holds under HuggingFace's names, each checked against `c`'s shapes;
    /// `classes` is the classifier's output width.
    pub fn load(c: &EncoderConfig, classes: usize, vb: VarBuilder) -> Result<Encoder> {
        let h = c.hidden;
        let names = match c.architecture {
            Architecture::DistilBert => &DISTILBERT_NAMES,
            Architecture::Bert => &BERT_NAMES,
            Architecture::Roberta => &Names {
                prefix: "roberta",
                ..BERT_NAMES
            },
        };
        let base = vb.pp(names.prefix);
        let e = base.pp("embeddings");
        let embeddings = Embeddings {
            words: candle_nn::embedding(c.vocab_size, h, e.pp("word_embeddings"))?,
            positions: candle_nn::embedding(c.max_positions, h, e.pp("position_embeddings"))?,
            token_types: match c.architecture {
                Architecture::DistilBert => None,
                Architecture::Bert | Architecture::Roberta => Some(candle_nn::embedding(
                    c.type_vocab_size,
                    h,
                    e.pp("token_type_embeddings"),
                )?),
            },
            norm: candle_nn::layer_norm(h, ln_config(c.eps), e.pp("LayerNorm"))?,
            first_position: c.first_position() as u32,
        };
        let layers = (0..c.layers)
            .map(|i| Layer::load(c, names, base.pp(names.layers).pp(i)))
            .collect::<Result<Vec<_>>>()?;
        let head = match c.architecture {
            Architecture::Bert => Head {
                dense: candle_nn::linear(h, h, base.pp("pooler.dense"))?,
                relu: false,
                out: candle_nn::linear(h, classes, vb.pp("classifier"))?,
            },
            Architecture::DistilBert => Head {
                dense: candle_nn::linear(h, h, vb.pp("pre_classifier"))?,
                relu: true,
                out: candle_nn::linear(h, classes, vb.pp("classifier"))?,
            },
            Architecture::Roberta => Head {
                dense: candle_nn::linear(h, h, vb.pp("classifier.dense"))?,
                relu: false,
                out: candle_nn::linear(h, classes, vb.pp("classifier.out_proj"))?,
            },
        };
        Ok(Encoder {
            embeddings,
            layers,
            head,
            heads: c.heads,
            activation: c.activation,
        })
    }

    /// The logits `(batch, classes)` of a batch.
    pub fn logits(&self, batch: &Batch) -> Result<Tensor> {
        let (rows, tokens) = batch.ids.dims2()?;
        // Padding is a key no token attends to: the lowest f32 added before the softmax, as
        // HuggingFace does.
        let bias = ((1.0 - &batch.mask)? * f64::from(f32::MIN))?.reshape((rows, 1, 1, tokens))?;
        let mut x = self.embeddings.forward(&batch.ids)?;
        for layer in &self.layers {
            x = layer.forward(&x, &bias, self.heads, self.activation)?;
        }
        let first = x.narrow(1, 0, 1)?.squeeze(1)?;
        let pooled = self.head.dense.forward(&first)?;
        let pooled = if self.head.relu {
            pooled.relu()?
        } else {
            pooled.tanh()?
        };
        self.head.out.forward(&pooled)?.to_dtype(DType::F32)
    }
}
