"""The ``python -m helpers`` command line.

Each sub-command lives in its own module under ``helpers/commands/`` and
exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are discovered automatically, so adding a command means adding a file;
command modules never import this one (errors come from :mod:`helpers.errors`).

Every failure ends with ONE line on stderr and a non-zero exit, never a traceback:

* a :class:`~helpers.errors.CourseError` (bad argument, missing or corrupt data,
  unwritable output, unknown model, diverged training, non-TensorFlow Keras):
  ``error: <what to do>``, exit code 2 for bad arguments and input files, else 1;
* a bad command line (argparse): one line naming the problem and ``--help``, exit 2;
* Ctrl-C: ``interrupted``, exit 130 (outputs are written atomically, so no partial file);
* anything unexpected: the exception in one line and a hint to rerun with
  ``--debug``, which prints the full traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback

from . import commands
from .errors import CommandError, CourseError, one_line

__all__ = ["CommandError", "build_parser", "main"]  # CommandError re-exported for older imports

EXIT_INTERRUPTED = 130
EXIT_UNEXPECTED = 1


class _OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (``prog: error: ...; see --help``), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see `{self.prog} --help`)\n")


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield info.name, importlib.import_module(f"{commands.__name__}.{info.name}")


def _add_debug(parser, default):
    parser.add_argument("--debug", action="store_true", default=default,
                        help="on an unexpected error, show the full traceback")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m helpers`` parser: one sub-command per :mod:`helpers.commands` module (command line)."""
    parser = _OneLineParser(prog="python -m helpers", description=__doc__.splitlines()[0])
    _add_debug(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_OneLineParser)
    for name, module in _command_modules():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        _add_debug(p, argparse.SUPPRESS)  # `--debug` works before or after the command name
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _user_error_types() -> tuple[type[BaseException], ...]:
    """CourseError, plus error classes of modules that do not derive from it yet (if they are loaded)."""
    types: list[type[BaseException]] = [CourseError]
    metrics = sys.modules.get("helpers.metrics")
    if metrics is not None and isinstance(getattr(metrics, "MetricsError", None), type):
        types.append(metrics.MetricsError)
    return tuple(types)


def _say(message: str) -> None:
    print(one_line(message), file=sys.stderr, flush=True)


def _backend_problem() -> str | None:
    from .runtime import backend_problem  # no Keras import: safe with any KERAS_BACKEND

    return backend_problem()


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m helpers`` on ``argv`` and return the exit code (command line)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        # Before building the parser, which imports the command modules: with
        # KERAS_BACKEND=jax (and no JAX installed) importing keras would crash.
        problem = _backend_problem()
        if problem:
            _say(f"error: {problem}")
            return 1
        parser = build_parser()
        args = parser.parse_args(argv)
        debug = args.debug
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        _say("interrupted (Ctrl-C)")
        return EXIT_INTERRUPTED
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, _user_error_types()):
            _say(f"error: {exc}")
            return getattr(exc, "exit_code", 2)
        where = "" if debug else "; rerun with --debug to see the traceback"
        _say(f"error: unexpected {exc.__class__.__name__}: {exc}{where}")
        return EXIT_UNEXPECTED
