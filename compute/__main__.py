"""Command line: ``python -m compute list | run NAME ... | docs [NAME ...] [--check] | reproduce BUNDLE``.

Needs no database: ``run`` runs the experiment in this process and prints the
agreement metrics; ``reproduce`` re-runs a run's bundle with its own code
(compute/reproduce.py); ``docs`` runs smoke presets and regenerates the tables of
docs/experiments.md and README.md from them (``--check``: runs nothing, exits
1 when those tables or their recorded results are out of date).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from compute import registry
from compute.canonical import canonical_json
from compute.protocol import ConfigError


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_sets(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        params[key.strip()] = _parse_value(value.strip())
    return params


def cmd_list() -> int:
    for name, exp in registry.all_experiments().items():
        print(f"{name:28s} {exp.title}  [presets: {', '.join(exp.presets)}]")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from compute.runner import execute

    try:
        exp = registry.get(args.name)
    except registry.UnknownExperiment as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    try:
        config = exp.validate(_parse_sets(args.set), preset=args.preset)
    except ConfigError as exc:
        for field, messages in exc.errors.items():
            print(f"invalid parameter {field}: {'; '.join(messages)}", file=sys.stderr)
        return 2
    bar = tqdm(total=1000, desc=exp.name, unit="‰", disable=args.quiet, file=sys.stderr)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(fraction * 1000)
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    outcome = execute(exp, config, progress=progress)
    bar.n = 1000
    bar.close()
    metrics = outcome.result.get("metrics", {})
    print(
        f"{exp.name}: {outcome.provenance['duration_s']:.2f} s on {outcome.provenance['device']}, "
        f"digest {outcome.digest[:16]}"
    )
    for key, value in metrics.items():
        flag = " *" if key in exp.agreement_metrics else ""
        print(f"  {key} = {value}{flag}")
    if args.out:
        Path(args.out).write_text(
            canonical_json({"result": outcome.result, "provenance": outcome.provenance, "digest": outcome.digest})
        )
        print(f"wrote {args.out}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from compute import report

    root = Path(args.root) if args.root else report.ROOT
    if args.check:
        problems = report.check(root)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make docs-experiments` (python -m compute docs) and commit the result", file=sys.stderr)
        return 1 if problems else 0
    try:
        failing = report.update(args.names, root)
    except registry.UnknownExperiment as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    for line in failing:
        print(f"claim fails: {line}", file=sys.stderr)
    print(f"wrote {report.RESULTS}, {report.DOCS} and {report.README}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compute", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered experiments")
    run = sub.add_parser("run", help="run one experiment")
    run.add_argument("name")
    run.add_argument("--preset", default="smoke")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--out", help="write result and provenance as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    docs = sub.add_parser("docs", help="run smoke presets and regenerate the experiment tables in the docs")
    docs.add_argument("names", nargs="*", metavar="NAME", help="re-measure only these (default: all)")
    docs.add_argument("--check", action="store_true", help="run nothing; exit 1 if the tables are out of date")
    docs.add_argument("--root", help="the checkout whose docs to read and write (default: this one)")
    again = sub.add_parser("reproduce", help="re-run a run's bundle (from its run page) with its own code")
    again.add_argument("bundle", help="the bundle's zip file")
    args = parser.parse_args(argv)
    if args.command == "list":
        return cmd_list()
    if args.command == "reproduce":
        from compute.reproduce import reproduce_bundle

        return reproduce_bundle(Path(args.bundle))
    if args.command == "docs":
        if args.check and args.names:
            parser.error("docs --check checks every experiment; it takes no names")
        return cmd_docs(args)
    return cmd_run(args)


if __name__ == "__main__":
    raise SystemExit(main())
