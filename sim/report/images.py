"""The reports' figures as png or svg pictures (``--images``), rendered by kaleido."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sim.report.data import ReportError

if TYPE_CHECKING:
    import plotly.graph_objects as go


def figure_images(figures: Mapping[str, go.Figure], fmt: str) -> dict[str, bytes]:
    """Each figure as a ``png`` or ``svg`` picture (kaleido, with the system's Chromium).

    Kaleido drives a headless Chrome; where ``BROWSER_PATH`` is unset, Debian's Chromium at
    /usr/bin/chromium is used (install it with ``apt-get install chromium``).

    Raises:
        ReportError: An unknown format, or no browser to render with.
    """
    if fmt not in ("png", "svg"):
        raise ReportError(f"--images: {fmt!r} is not png or svg")
    if "BROWSER_PATH" not in os.environ and Path("/usr/bin/chromium").exists():
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
    import kaleido  # only for pictures

    out: dict[str, bytes] = {}
    try:
        with warnings.catch_warnings():
            # plotly notes that its kaleido options do not apply to a running server
            warnings.simplefilter("ignore", UserWarning)
            # one browser for all the figures, not one each (seconds apiece)
            kaleido.start_sync_server(silence_warnings=True)
            try:
                for div_id, fig in figures.items():
                    out[f"{div_id}.{fmt}"] = fig.to_image(
                        format=fmt, width=1200, height=fig.layout.height or 500
                    )
            finally:
                kaleido.stop_sync_server(silence_warnings=True)
    except Exception as e:  # kaleido reports a missing browser in several ways
        raise ReportError(f"--images: could not render pictures ({type(e).__name__}: {e})") from e
    return out
