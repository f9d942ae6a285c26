.PHONY: test test-pg check bench

test:
	python -m pytest

test-pg:
	CRM_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python -m pytest -m pg

check:
	ruff check src tests bench
	ruff format --check src tests bench
	mypy
	lint-imports

bench:
	python bench/core_bench.py
