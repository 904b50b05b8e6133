"""Whether this machine has a font that prints Chinese, which the PDF's text needs.

WeasyPrint lays text out with Pango, which takes its fonts from fontconfig; a
machine without a font covering Chinese prints every Chinese character of the
report (headings, standard clauses, a site called 上海) as an empty box. The
charts keep their text as text, so they need no font of their own.
"""

from __future__ import annotations

import shutil
import subprocess

#: what to install where no font prints Chinese (the package ``./run`` installs)
INSTALL_HINT = "install one (Debian and Ubuntu: apt-get install fonts-noto-cjk)"


def chinese_font_installed() -> bool | None:
    """True when fontconfig knows a font for Chinese, False when it knows none, None when
    fontconfig's ``fc-list`` is not there to ask."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listed.returncode != 0:
        return None
    return bool(listed.stdout.strip())


def missing_font_warning() -> str | None:
    """One line for the user when the PDF will print Chinese as boxes, else None."""
    if chinese_font_installed() is False:
        return (
            "no font for Chinese is installed, so Chinese text in report.pdf prints as "
            f"empty boxes; {INSTALL_HINT}, then write the report again"
        )
    return None
