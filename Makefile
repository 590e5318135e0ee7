# crossheat: `make demo` and `make test` are all a fresh machine needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean assets readme-images

# The browser tests (tests/ui) drive Debian's Chromium through Playwright; Playwright's
# own browser download is never used. Installed here when missing (as root, or with sudo).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=600 -y -q

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

$(CHROMIUM):
	$(APT) update
	$(APT) install --no-install-recommends chromium

pytest: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -n 2 --dist worksteal --timeout 600

test: lint typecheck pytest

# The dashboard's front-end packages (npm registry, package-lock.json) built into
# src/crossheat/ui/static/vendor/, which is committed: only this target needs npm.
FRONTEND := src/crossheat/ui/frontend
assets:
	cd $(FRONTEND) && npm ci --no-audit --no-fund && npm run build

# docs/images/stack-detail.png, the README's screenshot, taken again by its browser test.
readme-images: $(STAMP) $(CHROMIUM)
	UPDATE_README_IMAGES=1 $(BIN)/pytest -q tests/ui/test_stack_detail.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
