# upstox-jobs: the README's commands are these targets.
CARGO ?= cargo
# The crash and concurrency tests pause a run inside its transaction with fail points,
# which only exist in builds with this feature; shipped builds never have it.
TEST_FEATURES := --features nse-index-update/failpoints

.PHONY: all build release demo test lint fmt clean

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

demo: build
	tests/demo.sh

test:
	$(CARGO) build --workspace $(TEST_FEATURES)
	$(CARGO) test --workspace $(TEST_FEATURES)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets $(TEST_FEATURES) -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
