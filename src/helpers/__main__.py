"""Command line: python -m helpers check|ingest|report|export|audit-draft (DESIGN §6).

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
    report.add_argument("--zip", action="store_true",
                        help="also write reports/STUDY/STUDY-report.zip of the bundle, after the leak scan passes")
    export = sub.add_parser("export", help="export a study")
    export.add_argument("study")
    export.add_argument("--to", choices=["qdpx"], required=True)
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="overwrite an existing file that is not a .qdpx")
    audit = sub.add_parser("audit-draft", help="check a write-up's quotes, attributions and claims against the study")
    audit.add_argument("study")
    audit.add_argument("drafts", nargs="*", metavar="DRAFT",
                       help=".docx, .md or .txt drafts (default: study.yml drafts:)")
    return parser


def _print_warnings(warnings) -> None:
    from .errors import redact_message

    for w in warnings:
        print(redact_message(f"warning: {w}"), file=sys.stderr)


def run(argv: list[str] | None = None) -> int:
    from .errors import InputError

    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            from helpers.ingest.config import load_config
            from helpers.ingest.pipeline import build

            from .study import resolve

            paths = resolve(args.study)
            config = load_config(paths.raw)
            built = build(paths, config)
            from helpers.analysis.drafts import read_drafts_or_raise

            read_drafts_or_raise(config.drafts)
            _print_warnings(built.warnings)
            for note in getattr(built, "notes", []):
                print(f"note: {note}", file=sys.stderr)
            from .textutil import plural
            print(f"ok: {paths.name}: {plural(len(built.documents), 'document')}, {plural(len(built.segments), 'turn')}, "
                  f"{plural(len(built.codings), 'coding')}, {plural(len(built.codebook), 'code')}, "
                  f"{plural(len(built.participants), 'participant')}")
            from .counting import coder_lines
            for line in coder_lines(built.codings, built.config):
                print(line)
            from types import SimpleNamespace

            from .counting import not_counted_lines
            tables = SimpleNamespace(codings=built.codings, codebook=built.codebook, config=built.config, manifest={})
            for line in not_counted_lines(tables):   # codings a level cannot count: said, never silent
                print(f"note: {line}", file=sys.stderr)
        elif args.command == "ingest":
            from helpers.ingest.config import load_config
            from helpers.ingest.pipeline import run_ingest
            from helpers.report.runlock import run_lock

            from .study import resolve

            paths = resolve(args.study)
            with run_lock(paths):
                built = run_ingest(paths, load_config(paths.raw))
            _print_warnings(built.warnings)
            print(f"ingested {paths.name} -> {paths.processed}")
        elif args.command == "report":
            from helpers.report.batch import run as run_batch
            from helpers.report.registry import parse_params

            summary = run_batch(args.study, jobs=max(1, args.jobs), force=args.force, only=args.only,
                                params=parse_params(args.param), zip_bundle=args.zip)
            print("\n".join(summary.lines()))
        elif args.command == "export":
            from pathlib import Path

            from .interop.refi import export_qdpx, export_summary
            from .safety import refuse_if_protected
            from .study import load_study

            study = load_study(args.study)
            target = Path(args.file)
            refuse_if_protected(target, "export to another folder")  # before anything is built
            if target.exists() and target.suffix.lower() != ".qdpx" and not args.force:
                raise InputError.one(target, "exists and is not a .qdpx project",
                                     "give a new file name ending in .qdpx, or add --force to overwrite it")
            counts = export_qdpx(study, args.file)
            from .textutil import plural
            if counts["codings_skipped"]:
                print(f"warning: {plural(counts['codings_skipped'], 'coding')} without a position in the text (quotes that "
                      "were not found) left out of the export", file=sys.stderr)
            print(f"exported {study.name} -> {args.file}: {export_summary(counts)}")
        elif args.command == "audit-draft":
            from helpers.report.audit_page import run_audit_command

            run_audit_command(args.study, args.drafts)
        return 0
    except InputError as exc:
        for problem in exc.problems:
            print(problem.line(), file=sys.stderr)
        return 2
    except Exception as exc:
        from helpers.report.notebook_run import NotebookFailed

        if not isinstance(exc, NotebookFailed):
            return _internal_error(exc, args)
        for problem in NotebookFailed.as_input_error(exc, _paths_of(args.study)).problems:
            print(problem.line(), file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        # The batch has cancelled its queued notebooks and stopped its kernels and says what it
        # left (batch.Interrupted); elsewhere every folder is swapped in only when complete.
        said = str(exc) or ("stopped; data/processed and reports are replaced only whole, so what this "
                            "command had not finished is as it was before")
        print(f"error: interrupted — {said}", file=sys.stderr)
        return 130



def _paths_of(study):
    from .study import resolve

    return resolve(study)


def _internal_error(exc: Exception, args) -> int:
    if args.debug or os.environ.get("TT_DEBUG"):
        traceback.print_exception(exc)
    message = str(exc).splitlines()[0] if str(exc) else ""
    from .errors import redact_message

    print(redact_message(f"error: internal: {type(exc).__name__}: {message} — please report this (run with --debug for details)"),
          file=sys.stderr)
    return 1


def main() -> None:
    code = run()
    # Everything is written (atomically) and the kernels are stopped by now. Leave without
    # the interpreter's teardown: under load, a C++ library's worker thread destroyed at
    # teardown aborted a finished run now and then ("terminate called without an active
    # exception", exit -6) after its outputs were complete.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
