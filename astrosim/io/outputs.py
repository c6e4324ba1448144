"""Write an export under a temporary name and move it into place only when it is complete."""
import contextlib
import os
import tempfile

__all__ = ["new_output"]


@contextlib.contextmanager
def new_output(path, overwrite=False, suffix=".tmp", source=None):
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds.

    Raises FileExistsError before anything is written if ``path`` exists and ``overwrite`` is
    false, and ValueError if ``path`` is the ``source`` being exported (never replaced, even
    with ``overwrite``); on failure the temporary file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    if source is not None and os.path.exists(path) and os.path.samefile(path, source):
        raise ValueError(f"{path} is the file being exported; choose another output name")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; astrosim does not replace files unless asked (--overwrite)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"cannot write {path}: directory {parent} does not exist")
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=parent)
    os.close(fd)
    os.remove(tmp)  # writers create it themselves
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
