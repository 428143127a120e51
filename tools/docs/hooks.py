"""MkDocs hooks (``mkdocs.yml``: ``hooks``): fill the generated reference pages at build time.

Nothing generated is committed: each build reads ``quillpress.config.Settings``,
``openapi.json`` and ``schema.graphql`` as they are (see ``docs_reference.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docs_reference  # beside this file: MkDocs loads hooks by path


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return docs_reference.fill(markdown)
