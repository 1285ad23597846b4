"""promosim: how a promotion creates customer-service contacts, and what they cost."""

from importlib import metadata

try:
    __version__ = metadata.version("promosim")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"
