# The two commands a newcomer needs: `make run` and `make test`.
# Each creates the virtualenv and installs the package on first use.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Where `make run` serves: `make run PORT=8001`, `make run HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint validate-deploy docs install clean

$(BIN)/quillpress: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/quillpress

# Ctrl-C or SIGTERM stops the server with status 0, so make reports no failure. The
# recipe is one plain command, which make runs without a shell in between.
run: install
	$(BIN)/quillpress serve --demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# The deployment artifacts, checked offline: hadolint (no rule ignored, inline ignores
# refused), the Compose and GitHub-workflow JSON schemas bundled with check-jsonschema,
# and the Kubernetes schemas bundled with kubernetes-validate (strict: unknown fields fail).
K8S_VERSION ?= 1.34.0
validate-deploy: install
	$(BIN)/hadolint --disable-ignore-pragma Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yaml
	$(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) deploy/k8s/*.yaml

# The documentation site (mkdocs.yml, docs/), served with live reload on a port of its own
# (`make run` keeps 8000): `make docs DOCS_PORT=8002`.
DOCS_PORT ?= 8001
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(HOST):$(DOCS_PORT)

test: lint validate-deploy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
