"""Command line: python -m helpers check|ingest|report|export (DESIGN §6).

Exit status: 0 done; 2 bad input, one line per problem on stderr
(``error: <file>[:<row or line>]: <what is wrong> — <how to fix it>``);
1 anything else.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a study's inputs; writes nothing")
    check.add_argument("study", help="a name under data/raw/ or a path to a study folder")
    ingest = sub.add_parser("ingest", help="raw -> processed tables")
    ingest.add_argument("study")
    report = sub.add_parser("report", help="ingest, run the batch notebooks, render HTML and the index page")
    report.add_argument("study")
    report.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run at once (default: cores)")
    report.add_argument("--force", action="store_true", help="re-run notebooks even when nothing changed")
    report.add_argument("--only", nargs="*", default=None, help="run only these notebooks (name prefixes)")
    report.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="pass a parameter to every notebook that declares it")
    export = sub.add_parser("export", help="export a study")
    export.add_argument("study")
    export.add_argument("--to", choices=["qdpx"], required=True)
    export.add_argument("file")
    return parser


def _print_warnings(warnings) -> None:
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def run(argv: list[str] | None = None) -> int:
    from .errors import InputError

    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            from .config import load_config
            from .ingest import build
            from .study import resolve

            paths = resolve(args.study)
            built = build(paths, load_config(paths.raw))
            _print_warnings(built.warnings)
            print(f"ok: {paths.name}: {len(built.documents)} documents, {len(built.segments)} turns, "
                  f"{len(built.codings)} codings, {len(built.codebook)} codes, {len(built.participants)} participants")
        elif args.command == "ingest":
            from .config import load_config
            from .ingest import run_ingest
            from .study import resolve
            from .reports import run_lock

            paths = resolve(args.study)
            with run_lock(paths):
                built = run_ingest(paths, load_config(paths.raw))
            _print_warnings(built.warnings)
            print(f"ingested {paths.name} -> {paths.processed}")
        elif args.command == "report":
            from .reports import parse_params, run_batch

            index = run_batch(args.study, jobs=max(1, args.jobs), force=args.force, only=args.only,
                              params=parse_params(args.param))
            print(f"report: {index}")
        elif args.command == "export":
            from .interop.refi import export_qdpx
            from .study import load_study

            study = load_study(args.study)
            export_qdpx(study, args.file)
            print(f"exported {study.name} -> {args.file}")
        return 0
    except InputError as exc:
        for problem in exc.problems:
            print(problem.line(), file=sys.stderr)
        return 2
    except Exception as exc:
        from .reports import NotebookFailed

        if not isinstance(exc, NotebookFailed):
            return _internal_error(exc, args)
        for problem in NotebookFailed.as_input_error(exc, _paths_of(args.study)).problems:
            print(problem.line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1



def _paths_of(study):
    from .study import resolve

    return resolve(study)


def _internal_error(exc: Exception, args) -> int:
    if args.debug or os.environ.get("TT_DEBUG"):
        traceback.print_exception(exc)
    message = str(exc).splitlines()[0] if str(exc) else ""
    print(f"error: internal: {type(exc).__name__}: {message} — please report this (run with --debug for details)",
          file=sys.stderr)
    return 1


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
