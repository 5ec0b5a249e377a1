"""Solve OR-Library instances with the planner's own models: `python bench/orlib.py FAMILY FILE...`.

FAMILY is assign (linear assignment -> staffing model), gap (generalised assignment, minimisation ->
IT-support model) or cap (capacitated warehouse location -> service-point model; add --single-source
for the single-source variant). Prints one line per instance: `name objective seconds`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orlib_assign  # noqa: E402
import orlib_cap  # noqa: E402
import orlib_gap  # noqa: E402

FAMILIES = {"assign": orlib_assign.solve_file, "gap": orlib_gap.solve_file, "cap": orlib_cap.solve_file}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=sorted(FAMILIES))
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--single-source", action="store_true", help="cap only: each customer served by one facility")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        options = {"single_source": args.single_source} if args.family == "cap" else {}
        for name, objective, seconds in FAMILIES[args.family](path, **options):
            shown = "infeasible" if objective is None else f"{objective:.4f}".rstrip("0").rstrip(".")
            print(f"{name} {shown} {seconds:.3f}", flush=True)
            status = status or (objective is None and args.family != "cap")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
