# make demo: set up and serve the example site on http://127.0.0.1:8000
# make test: set up and run the whole test suite (browser tests included)
# make screenshots: the README's pictures of the pages, into docs/screenshots/
# make messages: update the translation catalogs from the code and compile them (docs/i18n.md)
# make bench: the benchmark against the peers (bench/README.md); make bench-smoke: a short one
# make docs: the documentation site from docs/ (Sphinx + MyST), into docs/_build/html
# Needs only Python 3.11+ and make.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
# Two sets in one virtualenv: what the example site runs on (the package and its
# "example" extra), and on top of it the test and development toolchain.
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: install test demo lint format clean screenshots messages bench bench-smoke docs

$(RUNTIME): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12, python3.13)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[example]'
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[example,test,dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	scripts/test

demo: $(RUNTIME)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py create_demo_user
	@echo "Serving the example site on http://127.0.0.1:8000/ (Ctrl-C stops it)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

screenshots: $(STAMP)
	scripts/browser-deps
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

# The package's catalogs only (not the example site's). File-only locations keep
# the diffs of a .po small when code moves; msgfmt must be GNU gettext.
LANGUAGES := de es fr nl pt_BR
messages: $(STAMP)
	cd django_twostep && ../$(BIN)/django-admin makemessages --no-obsolete --add-location=file \
		$(addprefix -l ,$(LANGUAGES))
	cd django_twostep && ../$(BIN)/django-admin compilemessages

# The bench builds its own virtualenvs under bench/.venvs (one per contender).
bench:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) bench/run.py $(BENCH_ARGS)

bench-smoke:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) bench/run.py --smoke $(BENCH_ARGS)

# The docs extra, on top of the development install (a stamp of its own).
$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# -W --keep-going: every warning fails the build, all of them listed; -n: every
# cross-reference must resolve; -E: every page is read again, so a warning is
# never hidden by a cached page.
docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -W --keep-going -n -E -b html docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-django6 example.sqlite3 .pytest_cache .hypothesis bench/.venvs bench/var
