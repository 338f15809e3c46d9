# Two commands on a fresh Debian 12 machine: `make run` and `make test`.
# Both install what is missing (system packages via apt-get when running as root), then build.
SWIFT      ?= swift
CONFIG     ?= release
SYSTEM_PKGS := libopenblas-dev libsuitesparse-dev
# The shipped binary is a static executable (its own scratch folder, so the test build in .build keeps its
# flags): the Swift runtime, libstdc++ and glibc are linked in, so no dynamic loader runs at start-up
# (mapping four libraries, relocating and binding their symbols: about 1.5 ms of a 3.5 ms small-deck
# `miller sim`). KLU, UMFPACK and OpenBLAS are still opened with dlopen on first use, which from a static
# glibc program needs the shared libraries of the glibc it was linked against: build where it runs.
STATIC_DIR  = .build-static
BIN         = $(STATIC_DIR)/$(CONFIG)/miller

.PHONY: all setup build run test check-reference clean
all: build

setup:
	@command -v $(SWIFT) >/dev/null || { echo "error: swift not found on PATH (Swift 6 toolchain needed)"; exit 1; }
	@missing=""; for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: setup
	$(SWIFT) build -c $(CONFIG) --product miller --static-swift-stdlib -Xswiftc -static-executable \
	  --scratch-path $(STATIC_DIR)
	@# Any `import Foundation` (rather than FoundationEssentials + Platform) links CoreFoundation and ICU
	@# back in: +45 MB and ~2 ms on every run.
	@if nm $(BIN) 2>/dev/null | grep -q __CFInitialize; then \
	  echo "warning: $(BIN) links Foundation (grep -rn '^import Foundation' Sources): slower start-up"; fi

# The sizing loop on the challenge spec with the expert policy (outputs in out/size).
run: build
	$(BIN) size --spec specs/aicas2025.toml --out out/size

test: setup
	$(SWIFT) build -c $(CONFIG) --product miller
	$(SWIFT) test -c $(CONFIG)

# The slow checks against the real Qwen2.5 model and llama.cpp's outputs (after
# ../shared/tools/get-reference-model.sh and scripts/infer/make-real-goldens.sh).
check-reference: setup
	MILLER_REFERENCE_CHECKS=1 $(SWIFT) test -c $(CONFIG) --filter ModelRealTests

clean:
	rm -rf .build $(STATIC_DIR)
