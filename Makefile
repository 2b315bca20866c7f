# One virtualenv, one pinned CDK CLI; every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CDK := npx --no-install cdk
STACK := $(shell $(PYTHON) -c "import json;print(json.load(open('cdk.json'))['context']['stackName'])")
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: install synth test lint typecheck local deploy destroy bench openapi clean

install: $(STAMP) node_modules/.package-lock.json

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## synth: the main job, offline: synthesize, check with cdk-nag (fails synth) and cfn-lint, summarize.
synth: install
	$(CDK) synth --quiet
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/$(STACK).template.json
	$(PY) -m infra.summary cdk.out/$(STACK).template.json

## test: lint, type-check, then the whole suite (unit, integration, infrastructure, e2e on the local server).
test: install lint typecheck
	$(PY) -m pytest -n 2 --dist loadfile

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck:
	$(PY) -m mypy lambda_src liveness_local infra app.py

## local: the real handler over HTTP on an embedded AWS (moto) with the Face Liveness emulator.
local: install
	$(PY) -m liveness_local

## deploy / destroy: need AWS credentials and a bootstrapped account (see README).
deploy: install
	$(CDK) deploy --require-approval broadening --outputs-file cdk-outputs.json

destroy: install
	$(CDK) destroy

bench: install
	$(PY) -m bench.run

openapi: install
	$(PY) -m liveness_local.openapi --write openapi.json

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
