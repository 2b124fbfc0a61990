"""`python -m bench [NAME ...]`: run every bench module's `main()`, or only the named ones."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )


def run(names: list[str]) -> int:
    known = available()
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return 2
    for name in names or known:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"== {name} done in {time.perf_counter() - started:.1f} s ==", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
