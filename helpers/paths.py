"""Where the course lives on disk. A leaf module: it imports nothing of ours."""

from __future__ import annotations

from pathlib import Path

#: The course repository's root folder (the parent of ``helpers/``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
