"""Bounded reads of files that may come from somebody else's repository.

Output folders, exports and hourly funnels are shared as files; a folder checked out of a
repository may hold a link to a file elsewhere on the reader's machine (whose text would
end up in a report), a named pipe (a plain ``open`` waits for a writer for ever), a device
(``/dev/zero`` never ends) or a file far larger than anything promosim writes. Every such
read goes through :func:`read_bounded`: it opens without blocking, reads only a regular
file (by default never through a link), and reads at most ``limit`` + 1 bytes, so a file
is refused before anything of it is parsed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class UnreadableFile(Exception):
    """Why a file was not read, in a few words (``str(e)``): missing, a link, too large."""


def mib(limit: int) -> str:
    """A byte count in MiB for a message (``16 MiB``)."""
    return f"{limit / 2**20:g} MiB"


def read_bounded(path: Path, limit: int, *, links: bool = False) -> bytes:
    """The bytes of the regular file ``path``, which must hold at most ``limit`` bytes.

    Args:
        path: The file.
        limit: The most bytes it may hold.
        links: Read through a symbolic link (a path the user typed); by default a link is
            refused (a file inside a folder that may come from elsewhere).

    Raises:
        UnreadableFile: It is missing, a link (without ``links``), not a regular file,
            larger than ``limit``, or cannot be read.
    """
    flags = os.O_RDONLY | _NONBLOCK | (0 if links else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("a folder, not a file") from None
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        if not links and os.path.islink(path):
            raise UnreadableFile("a link; promosim reads only the folder's own files") from None
        raise UnreadableFile(f"cannot be read: {getattr(e, 'strerror', None) or e}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile("a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("not a regular file (a pipe, a device or a socket)")
        if info.st_size > limit:
            raise UnreadableFile(f"larger than {mib(limit)}, the most promosim reads of it")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)  # a file growing meanwhile stops here
    except OSError as e:
        raise UnreadableFile(f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnreadableFile(f"larger than {mib(limit)}, the most promosim reads of it")
    return data
