"""Checks of input and output paths made before any work, so that a run never ends unable to save."""
import os

from ._errors import CommandError

__all__ = ["check_input", "check_output", "H5_SUFFIXES", "FIGURE_SUFFIXES"]

H5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps")


def check_input(path, what="file"):
    """Raise `CommandError` unless ``path`` is an existing, readable file."""
    if os.path.isdir(path):
        raise CommandError(f"{what} {path} is a folder, not a file")
    if not os.path.exists(path):
        raise CommandError(f"{what} {path}: no such file")
    if not os.access(path, os.R_OK):
        raise CommandError(f"{what} {path}: permission denied")


def check_output(path, *, overwrite=False, suffixes=None, what="--out"):
    """Raise `CommandError` unless ``path`` can be written: known suffix, existing writable folder,
    no folder of that name, and no existing file unless ``overwrite``."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CommandError(f"{what} {path} is a folder; give a file name")
    suffix = os.path.splitext(path)[1].lower()
    if suffixes and suffix not in suffixes:
        shown = f"'{suffix}' is not a known file type" if suffix else "a file name without a type suffix"
        raise CommandError(f"{what} {path}: {shown}; use one of {', '.join(suffixes)}")
    if os.path.exists(path) and not overwrite:
        raise CommandError(f"{what} {path} exists; nothing was run. Add --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{what} {path}: folder {os.path.dirname(path) or folder} does not exist")
    target = path if os.path.exists(path) else folder
    if not os.access(target, os.W_OK):
        raise CommandError(f"{what} {path}: no permission to write {'the file' if target == path else 'in ' + folder}")
