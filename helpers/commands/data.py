"""``python -m helpers data``: where each dataset is found, and whether it verifies."""

from __future__ import annotations

from .. import datasets

HELP = "show where MNIST / Fashion-MNIST are found and verify them (--download fetches them)"


def add_arguments(parser):
    parser.add_argument("--download", action="store_true",
                        help="download missing datasets into the course's datasets/ folder")
    parser.add_argument("--data-dir", default=None,
                        help=f"folder holding mnist/ and fashion-mnist/ (default: ${datasets.DATA_ENV})")
    parser.add_argument("names", nargs="*", default=sorted(datasets.CHECKSUMS),
                        help="datasets to check (default: all)")


def run(args) -> int:
    bad = 0
    for name in args.names:
        name = datasets._canonical(name)
        if args.download and not datasets.candidate_sources(name, args.data_dir):
            print(f"{name}: downloading into {datasets.COURSE_DATA_DIR} ...", flush=True)
            try:
                datasets.download(name)
            except datasets.DatasetError as exc:
                print(f"{name}: FAILED: {exc}")
                bad += 1
                continue
        ok, message = datasets.check(name, args.data_dir)
        print(f"{name}: {'OK' if ok else 'BAD'}: {message}")
        bad += not ok
    return 1 if bad else 0
