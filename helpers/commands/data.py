"""``python -m helpers data``: where each dataset is found, and whether it verifies.

With ``--download`` it also repairs: every missing, corrupt or mismatched
file is downloaded to a temporary name beside it, verified, and only then
renamed into place (see :func:`helpers.downloads.download`).
"""

from __future__ import annotations

from .. import data_sources, datasets, downloads
from ..errors import DatasetError, DownloadError

HELP = "show where MNIST / Fashion-MNIST are found and verify them (--download fetches or repairs them)"


def add_arguments(parser):
    """The options of ``python -m helpers data`` (command line)."""
    parser.add_argument("--download", action="store_true",
                        help="download missing files and replace corrupt ones (into --data-dir / "
                             f"${data_sources.DATA_ENV} when set, else the course's datasets/ folder)")
    parser.add_argument("--data-dir", default=None,
                        help=f"folder holding mnist/ and fashion-mnist/ (default: ${data_sources.DATA_ENV})")
    parser.add_argument("names", nargs="*", default=sorted(data_sources.CHECKSUMS),
                        help="datasets to check (default: all)")


def run(args) -> int:
    """Run ``python -m helpers data`` with the parsed ``args``; returns the exit code (command line)."""
    names = [data_sources._canonical(name) for name in args.names]  # an unknown name stops before any work
    bad = 0
    offline = None
    for name in names:
        if args.download:
            if offline is not None:
                print(f"{name}: FAILED: not downloaded: the network failed for {offline} (see above)")
                bad += 1
                continue
            try:
                folder = downloads.repair_folder(name, args.data_dir)
                print(f"{name}: checking {folder}, downloading what is missing or bad ...", flush=True)
                downloads.download(name, folder=folder, report=lambda msg, n=name: print(f"{n}: {msg}", flush=True))
            except DownloadError as exc:
                print(f"{name}: FAILED: {exc}")
                offline = name
                bad += 1
                continue
            except DatasetError as exc:
                print(f"{name}: FAILED: {exc}")
                bad += 1
                continue
        ok, message = datasets.check(name, args.data_dir)
        print(f"{name}: {'OK' if ok else 'BAD'}: {message}")
        bad += not ok
    return 1 if bad else 0
