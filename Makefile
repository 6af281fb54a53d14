# The two set-up commands (README): `make run` serves the portal, `make test` runs every test.
.PHONY: run test check lint typecheck bootstrap browser messages bench demo-code sweep

bootstrap:
	@scripts/bootstrap.sh

run: bootstrap
	.venv/bin/python scripts/stack.py run

test: bootstrap browser
	.venv/bin/python scripts/stack.py test $(ARGS)

# The edit-test loop: lint, types and every test that needs no browser or real processes, on every
# core (pytest-xdist; each worker has its own test database and Redis database). `make test` stays
# the full suite.
check: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	.venv/bin/python scripts/stack.py test -n auto -m "not browser and not stack and not faults and not ops" $(ARGS)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } || \
	  { echo "install Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk)"; exit 1; }

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python scripts/stack.py shell check

typecheck: bootstrap
	.venv/bin/mypy .

messages: bootstrap
	cd . && .venv/bin/python manage.py compilemessages -l en -l zh_Hans --ignore=.venv

# Benchmarks (minutes each at full size; `make bench BENCH=eligibility` runs one). Numbers go into issue notes.
bench: bootstrap
	.venv/bin/python scripts/stack.py exec sh -c 'for b in $(BENCH); do .venv/bin/python bench/$$b.py || exit 1; done'

BENCH ?= import_persons import_kinship eligibility verify_bindings import_contributions sweep_arrears certification_cycle settlement

demo-code: bootstrap
	.venv/bin/python manage.py demo_code

# Every URL as each demo role with odd query parameters (ARGS=--post: an odd form); lists server errors.
sweep: bootstrap
	.venv/bin/python scripts/stack.py exec .venv/bin/python scripts/sweep_pages.py $(ARGS)
