"""Developer tool: the links that open the course on mybinder.org or on a JupyterHub.

``python tools/hub_link.py https://hub.example.edu`` prints the nbgitpuller link
for that hub: opening it clones the course into the user's home folder (or pulls
the newest commits, keeping the user's own edits) and opens chapter 00 in
JupyterLab. ``--notebook chapters/03_autoencoders.ipynb`` opens another chapter;
``--binder`` prints the README's Binder badge instead. Both links are built from
``REPO_URL`` and ``REPO_BRANCH`` in ``helpers/runtime.py``, where the repository
is named once; ``tests/test_binder.py`` checks that the README shows this tool's
output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.runtime import REPO_BRANCH, REPO_URL  # noqa: E402

START_NOTEBOOK = "chapters/00_start_here.ipynb"
#: The hub the README's example link is generated for.
EXAMPLE_HUB = "https://hub.example.edu"


def _query(params: dict[str, str]) -> str:
    # Every reserved character percent-encoded, as nbgitpuller's own link generator does.
    return urlencode(params, quote_via=quote, safe="")


def repo_folder(repo_url: str = REPO_URL) -> str:
    """The folder nbgitpuller clones into: the repository's last path part, without ``.git`` (tests)."""
    name = urlsplit(repo_url).path.rstrip("/").rsplit("/", 1)[-1]
    return name.removesuffix(".git")


def hub_base(hub: str) -> str:
    """``https://<host>[/prefix]`` from what a user types: a bare host, a trailing ``/`` or ``/hub/`` (tests)."""
    hub = hub.strip()
    if "://" not in hub:
        hub = "https://" + hub
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a hub address: {hub!r} (expected e.g. {EXAMPLE_HUB})")
    path = parts.path.rstrip("/")
    if path.endswith("/hub"):
        path = path[: -len("/hub")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def nbgitpuller_link(hub: str, notebook: str = START_NOTEBOOK, repo_url: str = REPO_URL,
                     branch: str = REPO_BRANCH) -> str:
    """The nbgitpuller link that opens ``notebook`` of the course on ``hub`` in JupyterLab (command line).

    The README shows it for :data:`EXAMPLE_HUB`; ``tests/test_binder.py`` checks the encoding.
    """
    params = {"repo": repo_url, "urlpath": f"lab/tree/{repo_folder(repo_url)}/{notebook}", "branch": branch}
    return f"{hub_base(hub)}/hub/user-redirect/git-pull?{_query(params)}"


def binder_url(notebook: str = START_NOTEBOOK, repo_url: str = REPO_URL, branch: str = REPO_BRANCH) -> str:
    """The mybinder.org link that builds the course's image and opens ``notebook`` in JupyterLab (command line)."""
    parts = urlsplit(repo_url)
    if parts.netloc != "github.com":
        raise ValueError(f"mybinder.org links are made here for GitHub repositories only, not {repo_url!r}")
    slug = parts.path.strip("/").removesuffix(".git")
    return f"https://mybinder.org/v2/gh/{slug}/{quote(branch, safe='')}?{_query({'urlpath': f'lab/tree/{notebook}'})}"


def binder_badge(notebook: str = START_NOTEBOOK) -> str:
    """Markdown for the README's *launch binder* badge (command line; the README shows it)."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook)})"


def main(argv: list[str] | None = None) -> int:
    """``python tools/hub_link.py HUB [--notebook PATH]`` or ``--binder`` (command line)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hub", nargs="?", help=f"the JupyterHub's address, e.g. {EXAMPLE_HUB}")
    parser.add_argument("--notebook", default=START_NOTEBOOK, help=f"the notebook to open (default {START_NOTEBOOK})")
    parser.add_argument("--binder", action="store_true", help="print the Binder badge (Markdown) instead")
    args = parser.parse_args(argv)
    if args.binder:
        print(binder_badge(args.notebook))
        return 0
    if not args.hub:
        parser.error("give the hub's address, e.g. python tools/hub_link.py " + EXAMPLE_HUB)
    try:
        print(nbgitpuller_link(args.hub, args.notebook))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
