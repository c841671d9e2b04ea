"""Draw the board's screenshots in docs/images (tui-<name>.svg) from the demo data at the
tests' fixed time, so they show what the board shows now.

    python -m tests.tui.docs_images              # every screenshot
    python -m tests.tui.docs_images board filter  # only these
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.conftest import FIXED_NOW

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
SIZE = (120, 40)
# what to press on the board, after it has loaded, before each screenshot
SHOTS: dict[str, list[str]] = {
    "board": [],
    "filter": ["slash", *"helix"],
    "lost": ["x"],
    "deal": ["enter"],
    "contact": ["enter", "d"],
    "contacts": ["c"],
    "agenda": ["a"],
    "reports": ["r"],
    "keys": ["question_mark"],
}


async def shoot(db_path: Path, keys: list[str], out: Path) -> None:
    """Open the board on a copy of the demo database, press `keys`, save the screen."""
    import shutil

    from textual.widgets import Input

    from tests.tui.conftest import settle
    from tinycrm.core import open_db
    from tinycrm.tui.app import CrmApp

    copy = db_path.with_name(f"{out.stem}.db")
    shutil.copy(db_path, copy)
    db = open_db(copy)
    app = CrmApp(db, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False  # the same picture every time: the cursor shown
        await pilot.pause()
        out.write_text(app.export_screenshot(), encoding="utf-8")


def main(names: list[str]) -> None:
    """Draw the named screenshots (all of them when none is named)."""
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        sys.exit(f"no such screenshot: {', '.join(unknown)} (there are {', '.join(SHOTS)})")
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(TINYCRM_HOME=home, TINYCRM_NOW=FIXED_NOW, TZ="UTC")
        os.environ["TINYCRM_SERVER"] = "off"
        os.environ.pop("NO_COLOR", None)  # the docs show the colours
        os.environ.pop("TINYCRM_DB", None)
        time.tzset()
        from tinycrm.core import demo

        path = Path(home) / "demo.db"
        db, _ = demo.demo_database(path, datetime.fromisoformat(FIXED_NOW))
        db.dispose()
        for name in names or list(SHOTS):
            out = IMAGES / f"tui-{name}.svg"
            asyncio.run(shoot(path, SHOTS[name], out))
            print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
