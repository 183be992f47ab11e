# Two commands do all the set-up: `make run` and `make test`.
# Each builds .venv with pip from the package index and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := sample_data
OUT := out
AS_OF := 2011-01-17

.PHONY: run test lint campaign bench venv docs catalog clean

# The Chinese interface's catalog (gettext, managed with Babel). The .po is kept in git and
# translated by people; the .mo is compiled from it here (and by the package build).
LOCALE := scheduler/locale
CATALOGS := $(wildcard $(LOCALE)/*/LC_MESSAGES/visit_scheduler.po)
COMPILED := $(CATALOGS:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps re-run the install when the package's metadata changes.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# Mozilla's ical.js, a second independent .ics parser for the calendar tests, where
	@# node and npm exist (the tests that need it are skipped otherwise).
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/js ical.js@2 >/dev/null 2>&1 \
	  || echo "ical.js could not be installed: its calendar tests will be skipped"; fi
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed $(COMPILED)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -D visit_scheduler -i $< -o $@

# Extract every text people read (ours and click's own: "Usage:", "Options:", its errors)
# into the template, then bring the catalogs up to date with it. New texts arrive
# untranslated; a changed one arrives fuzzy: translate them (tests/test_catalog.py fails
# until every entry is translated and none is fuzzy).
CLICK_SOURCES = $(addprefix $(shell $(BIN)/python -c "import click, os; print(os.path.dirname(click.__file__))" 2>/dev/null)/, \
	core.py decorators.py exceptions.py formatting.py parser.py termui.py types.py utils.py)
catalog: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --add-comments=TRANSLATORS: --strip-comments \
	  --add-location=file --sort-by-file --no-wrap --project=visit-scheduler \
	  -o $(LOCALE)/visit_scheduler.pot scheduler $(CLICK_SOURCES)
	@# click's sources sit in .venv: name them by the package, not by this machine's path.
	sed -i -E 's|^#: .*site-packages/click/|#: click/|' $(LOCALE)/visit_scheduler.pot
	$(BIN)/pybabel -q update -D visit_scheduler -i $(LOCALE)/visit_scheduler.pot -d $(LOCALE) \
	  --no-wrap --ignore-obsolete --no-fuzzy-matching

# The main job on the sample study: the plan, every window, every status as of a
# mid-study Monday, and the nurse's worklist for that day.
# The file-writing steps' messages are gathered and shown once, at the end.
run: $(VENV)/.installed $(COMPILED)
	@mkdir -p $(OUT)
	@rm -f $(OUT)/messages.txt
	@echo "== The protocol (built-in NCT01143168 plan, from $(SAMPLE)/)"
	@$(BIN)/visit-scheduler protocol --study $(SAMPLE)
	@$(BIN)/visit-scheduler schedule --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/schedule.csv 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler check --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/check.csv 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler check --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/check.xlsx 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler calendar --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/site.ics --split $(OUT)/calendars 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler report --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/report.html 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler report --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/report.xlsx 2>>$(OUT)/messages.txt
	@$(BIN)/visit-scheduler export sdtm --study $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/sdtm 2>>$(OUT)/messages.txt
	@echo
	@echo "== Deviations as of $(AS_OF)"
	@$(BIN)/visit-scheduler check --study $(SAMPLE) --as-of $(AS_OF) --deviations-only 2>>$(OUT)/messages.txt
	@echo
	@echo "== Who is due in the 14 days from $(AS_OF)"
	@$(BIN)/visit-scheduler due --study $(SAMPLE) --as-of $(AS_OF) 2>>$(OUT)/messages.txt
	@echo
	@echo "== What the commands said (each message once; all of them in $(OUT)/messages.txt)"
	@grep -v '^Wrote ' $(OUT)/messages.txt | sort -u || true
	@echo
	@echo "Outputs: $(OUT)/report.html and $(OUT)/report.xlsx (the weekly deviation report),"
	@echo "         $(OUT)/schedule.csv, $(OUT)/check.csv, $(OUT)/check.xlsx,"
	@echo "         $(OUT)/site.ics (the site's calendar for Outlook), $(OUT)/calendars/ID.ics,"
	@echo "         $(OUT)/sdtm/ (CDISC SDTM for the data manager: dm.csv … and define.xml)"

# The whole suite: the linter, the type checker (strict), then the tests.
test: lint
	$(BIN)/python -m pytest -n 2

lint: $(VENV)/.installed-test $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The long campaigns (make test runs short ones): 200 changes of the real command, each
# killed with SIGKILL at a random instant, the trail explaining the folder after each; and
# two nurses recording 120 visits each into one folder at the same time (make test: 64 each);
# the SDTM datasets' agreement on 500 random studies (make test: 100).
campaign: $(VENV)/.installed-test
	VISIT_SCHEDULER_KILL_RUNS=200 $(BIN)/python -m pytest -q tests/test_trail.py -k random
	VISIT_SCHEDULER_NURSES=15 $(BIN)/python -m pytest -q tests/test_recording.py -k two_nurses_recording
	VISIT_SCHEDULER_SDTM_STUDIES=500 $(BIN)/python -m pytest -q tests/test_sdtm_properties.py -k agree

# The benchmark (issues 7 and 20: speed at every size, on messy files, for every output):
# times the real commands against floors on 24 … 100,000 participants, tidy and messy, and
# rewrites docs/performance.md; exits 1 when a target fails. 10 to 15 minutes. The catalogs
# are compiled first: a stale .mo would make every Chinese run compile the .po at start-up.
bench: $(VENV)/.installed $(COMPILED)
	$(BIN)/python benchmarks/run.py

# Regenerate the generated parts of docs/ (the CLI reference and the protocol keys).
docs: $(VENV)/.installed
	$(BIN)/python tools/gen_docs.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis .mypy_cache .ruff_cache
