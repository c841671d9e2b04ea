"""`python -m benchmarks generate|run|plans`: make databases, time tinycrm, check query plans."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import generate


def _scales(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in generate.SCALES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scale {', '.join(unknown)}; scales: {', '.join(generate.SCALES)}"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one subcommand."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="make (or reuse) the database of each scale")
    gen.add_argument("--scale", type=_scales, default=["solo"], help="e.g. tiny,solo,large")
    gen.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    gen.add_argument("--fts", choices=("bulk", "triggers"), default="bulk")
    gen.add_argument("--out", type=Path, help="write here instead of the cache (always new)")

    run = sub.add_parser("run", help="time commands and services at each scale")
    run.add_argument(
        "--scale", type=_scales, default=["solo", "large"], help="e.g. solo,large (the default)"
    )
    run.add_argument("--seed", type=int, default=generate.DEFAULT_SEED, help="of the data")
    run.add_argument("--runs", type=int, default=5, help="counted runs after the warm-up")
    run.add_argument("--out", type=Path, help="also write every figure as JSON here")
    run.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    run.add_argument("--only", default="", help="comma-separated case names (default: all)")
    run.add_argument(
        "--skip-cli", action="store_true", help="skip the whole-process cases without a server"
    )
    run.add_argument("--skip-inprocess", action="store_true", help="skip the in-process cases")
    run.add_argument(
        "--skip-server", action="store_true", help="skip the commands through the command server"
    )
    run.add_argument(
        "--server-warm-only",
        action="store_true",
        help="time no first command after no server (each costs a server start)",
    )
    run.add_argument("--no-startup", action="store_true", help="skip the start-up breakdown")

    plans = sub.add_parser("plans", help="show EXPLAIN QUERY PLAN of the hot queries")
    plans.add_argument("--scale", type=_scales, default=["large"])
    plans.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)

    args = parser.parse_args(argv)
    if args.command == "generate":
        for scale in args.scale:
            if args.out:
                meta = generate.generate(scale, args.out, args.seed, fts=args.fts)
            else:
                _path, meta = generate.cached(scale, args.seed, fts=args.fts)
            print(json.dumps(meta, indent=2))
        return 0
    if args.command == "plans":
        from benchmarks import plans as plan_module

        for scale in args.scale:
            path, _meta = generate.cached(scale, args.seed)
            print(plan_module.report(path))
        return 0
    from benchmarks import runner

    return runner.main(args)


if __name__ == "__main__":
    sys.exit(main())
