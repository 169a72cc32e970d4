# kpibot: the two commands of the README, and the developer's others.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := out/demo
DEMO_TODAY ?=

.PHONY: demo test lint bench gallery clean venv

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/kpibot demo-tour --out $(DEMO_DIR) $(if $(DEMO_TODAY),--today $(DEMO_TODAY),)

test: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: venv
	$(BIN)/ruff check i18n bot grammar metrics charts cache salesforce sources tests bench
	$(BIN)/mypy i18n bot grammar metrics charts cache salesforce sources

bench: venv
	$(BIN)/python -m bench.run_all

# Every chart shape of the gallery test as PNGs with an HTML index (out/gallery/index.html).
gallery: venv
	$(BIN)/python -m tests.write_gallery --out out/gallery

clean:
	rm -rf $(VENV) out data .pytest_cache
