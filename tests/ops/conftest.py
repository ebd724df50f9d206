"""pytest's hook file for tests/ops: the fixtures live in opslib.py, whose
name, unlike conftest's, is unique when tests/ops runs in one pytest with
tests/corpus and tests/e2e (each has a conftest; only the first is importable
as the module `conftest`)."""
from opslib import staged, units  # noqa: F401  (fixtures: pytest finds them here)
