# One virtualenv, one pinned CDK CLI; every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The repository's packages (liveness_api from lambda_src/, infra, liveness_local, tools, bench) on the venv's
# path, set once here, so no module edits sys.path. The Lambda asset is still lambda_src/ alone.
PATHS := $(VENV)/face-liveness-api.paths
CDK := npx --no-install cdk
# Knobs and options for `make local`, `synth`, `diff`, `deploy` and `preflight`, e.g.
# make local ARGS="-c authorization=COGNITO --port 3100"   or   make synth ARGS="-c region=eu-west-1"
ARGS ?=
# `make deploy` asks before widening IAM or security groups; CI, behind its own approval gate, sets never.
APPROVAL ?= broadening
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
# The browser test's Chromium (Debian's package); tests/browser reads the same variable.
export CHROMIUM ?= /usr/bin/chromium
WEB_BUILT := web/dist/build.json
PYTEST := $(PY) -m pytest -n 2 --dist loadfile
CHROMIUM_HINT := install it with: sudo apt-get install -y chromium

.PHONY: install synth test test-unit test-integration test-infra test-e2e test-browser lint typecheck local deploy destroy \
	bench openapi clean web preflight diff demo-config

install: $(STAMP) $(PATHS) node_modules/.package-lock.json

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@echo "make: installing the pinned Python packages into $(VENV)/ (first run: about 3 minutes; later runs skip this)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --progress-bar on -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

$(PATHS): $(STAMP)
	$(PY) -c 'import pathlib, site, sys; pathlib.Path(site.getsitepackages()[0], "face_liveness_api.pth").write_text("\n".join(sys.argv[1:]) + "\n")' "$(CURDIR)" "$(CURDIR)/lambda_src"
	touch $(PATHS)

node_modules/.package-lock.json: package.json package-lock.json
	@echo "make: installing the pinned AWS CDK CLI into node_modules/ (first run: under a minute)"
	npm ci --no-audit --no-fund --loglevel=error

## synth: the main job, offline: synthesize, check with cdk-nag (fails synth) and cfn-lint, and summarize the mode,
## the region and both checks' results (tools/summary.py runs cfn-lint).
synth: install
	@rm -rf cdk.out
	@$(CDK) synth --quiet $(ARGS) || { echo "make synth: stopped by the error above" >&2; exit 1; }
	$(PY) -m tools.summary cdk.out

## preflight: with your AWS credentials, read-only: what a deploy would trip on (region, bootstrap, quotas,
## permissions), one line per problem with its fix. Synthesizes first, for the roles and bootstrap version it needs.
preflight: synth
	$(PY) -m tools.preflight $(ARGS)

## diff: cdk diff against the deployed stack (needs AWS credentials).
diff: install
	$(CDK) diff $(ARGS)

## test: lint, type-check, then every layer in one pytest run (unit, integration, infrastructure, e2e on the local
## server), with the browser test (the demo with the real detector in headless Chromium) when Chromium is installed.
test: install lint typecheck
	@if [ -x "$(CHROMIUM)" ]; then \
		$(MAKE) --no-print-directory web && $(PYTEST); \
	else \
		echo "make test: browser test skipped (no Chromium at $(CHROMIUM)); $(CHROMIUM_HINT)"; \
		$(PYTEST) --ignore=tests/browser; \
	fi

## test-unit, test-integration, test-infra, test-e2e, test-browser: one layer each, for working on it.
test-unit: install
	$(PYTEST) tests/unit

test-integration: install
	$(PYTEST) tests/integration

test-infra: install
	$(PYTEST) tests/infrastructure

test-e2e: install
	$(PYTEST) tests/e2e

test-browser: install
	@if [ -x "$(CHROMIUM)" ]; then \
		$(MAKE) --no-print-directory web && $(PY) -m pytest tests/browser; \
	else \
		echo "make test-browser: no Chromium at $(CHROMIUM); $(CHROMIUM_HINT)"; \
		exit 1; \
	fi

## web: the demo web app (web/), built into web/dist from the pinned npm packages when missing or stale.
web: $(WEB_BUILT)

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@echo "make: installing the demo page's pinned npm packages into web/node_modules/ (first run: about a minute)"
	npm ci --prefix web --no-audit --no-fund --loglevel=error

$(WEB_BUILT): web/node_modules/.package-lock.json web/build.mjs web/markdown.mjs web/index.html $(wildcard web/src/*) \
		docs/troubleshooting.md
	@echo "make: building the demo page into web/dist/ (a few seconds)"
	cd web && node build.mjs

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/actionlint

typecheck:
	$(PY) -m mypy lambda_src liveness_local infra tools app.py tests bench

## local: the real handler over HTTP on an embedded AWS (moto) with the Face Liveness emulator, the demo web
## app at / and the wss:// streaming endpoint its detector streams to.
local: install web
	$(PY) -m liveness_local $(ARGS)

## deploy / destroy: need AWS credentials and a bootstrapped account (see README).
deploy: install
	$(CDK) deploy --require-approval $(APPROVAL) --outputs-file cdk-outputs.json $(ARGS)

destroy: install
	$(CDK) destroy

## demo-config: the demo page (web/dist) pointed at the deployed stack: config.json from cdk-outputs.json (which
## make deploy writes), with the sign-in and credentials its caller mode gives. ARGS: e.g. --outputs stack.json.
demo-config: install web
	$(PY) -m tools.demo_config $(ARGS)

## bench: cold start and warm overhead of the handler beside a bare boto3 baseline, judged against the targets in
## bench/targets.py (docs/performance.md). BENCH_ARGS passes options, e.g. BENCH_ARGS=--publish.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

openapi: install
	$(PY) -m liveness_local.openapi --write openapi.json

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist test-artifacts
