# The two commands a newcomer needs: `make run` and `make test`.
#
# `make run` installs the application's runtime only (55 packages, a 154 MB .venv) and serves
# it: from a fresh clone with empty download caches the first request is answered 22 s after
# typing it (median of 3 on a 2-core machine at load average ~6; python3 bench/first_request.py,
# README "Two commands"). `make test` adds the development tools (ruff, mypy, pytest, the
# deployment validators…: 618 MB in all, about 25 s more) and runs every check.
#
# Both install exactly what uv.lock holds (every version pinned, every file's hash checked)
# with the uv version pinned below, into .venv; nothing is resolved against the live index.
# After editing the dependencies in pyproject.toml, `make lock` updates uv.lock (the versions
# not edited stay as they were); `make test` checks, offline, that the lock still matches.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Also pyproject.toml's [tool.uv] required-version and the Dockerfile's (a test compares them).
UV_VERSION := 0.13.8
UV := $(BIN)/uv
# Where `make run` serves: `make run PORT=8001`, `make run HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000

# uv works on this virtualenv, with the Python that created it (never one it downloads).
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test test-fast lint validate-deploy check-lock docs install lock clean
.DEFAULT_GOAL := install

# `make run PORT=abc` stops here, in one line, before anything is installed or started.
ifneq ($(filter run,$(MAKECMDGOALS)),)
PORT_OK := $(if $(findstring ',$(PORT)),,$(shell p='$(PORT)'; case "$$p" in (''|*[!0-9]*) ;; \
	(*) [ $${#p} -le 5 ] && [ "$$p" -ge 1 ] && [ "$$p" -le 65535 ] && echo yes;; esac))
ifneq ($(PORT_OK),yes)
$(error PORT=$(PORT) is not a port: give a number from 1 to 65535, e.g. make run PORT=8001)
endif
endif

# The virtualenv and the pinned uv in it (pip only fetches uv; uv installs the rest).
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The runtime (no extras) and the development set (the dev extra). --inexact: `make run`
# after `make test` keeps the dev tools, and packages added by hand (the bench extra,
# py-spy) stay; `make clean` starts over from the lock alone.
$(BIN)/quillpress: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact --quiet
	touch $@

$(BIN)/pytest: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact --quiet --extra dev
	touch $@

install: $(BIN)/pytest

# Ctrl-C or SIGTERM stops the server with status 0, so make reports no failure. The
# recipe is one plain command, which make runs without a shell in between.
run: $(BIN)/quillpress
	$(BIN)/quillpress serve --demo --host $(HOST) --port $(PORT)

lint: $(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/vulture  # dead code: pyproject.toml [tool.vulture] and tools/vulture_whitelist.py

# uv.lock matches pyproject.toml: checked from the lock alone, offline (no resolution
# against the live index; tests/test_lock.py checks the same from Python).
check-lock: | $(UV)
	$(UV) lock --check --offline --quiet

# After editing the dependencies in pyproject.toml. Versions not edited stay as locked; to
# move one on purpose: $(UV) lock --upgrade-package NAME.
lock: | $(UV)
	$(UV) lock

# The deployment artifacts, checked offline: hadolint (no rule ignored, inline ignores
# refused), the Compose and GitHub-workflow JSON schemas bundled with check-jsonschema,
# and the Kubernetes schemas bundled with kubernetes-validate (strict: unknown fields fail).
K8S_VERSION ?= 1.34.0
validate-deploy: $(BIN)/pytest
	$(BIN)/hadolint --disable-ignore-pragma Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yaml
	$(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) deploy/k8s/*.yaml

# The documentation site (mkdocs.yml, docs/), served with live reload on a port of its own
# (`make run` keeps 8000): `make docs DOCS_PORT=8002`.
DOCS_PORT ?= 8001
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(HOST):$(DOCS_PORT)

# The suite starts many Python processes (the CLI, servers, the docs' examples). Each loads
# the compiled modules (__pycache__, git-ignored) instead of compiling every import again,
# also where the environment sets PYTHONDONTWRITEBYTECODE (empty counts as unset): on a
# 2-core machine at load average 6, tests/cli/test_config_errors.py took 15.4 s with it set
# and 7.3 s without.
test test-fast: export PYTHONDONTWRITEBYTECODE :=

test: check-lock lint validate-deploy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest $(PYTEST_ARGS)

# The loop while editing, in well under 90 s on a loaded 2-core machine: tests/unit and
# tests/services on SQLite plus one smoke test per API (the `fast` marker, set in
# tests/conftest.py), no lint. PostgreSQL, Redis and the cluster are left out whatever the
# environment says (CI=true would make their absence a failure).
test-fast: $(BIN)/pytest
	env -u QUILLPRESS_TEST_POSTGRES_URL -u QUILLPRESS_TEST_REDIS_URL -u QUILLPRESS_TEST_CLUSTER \
		-u CI $(BIN)/pytest -m "fast and not postgres" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
