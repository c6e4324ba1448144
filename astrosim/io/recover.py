"""Make the file of a killed writer openable by plain HDF5 readers (``astrosim recover``).

While astrosim streams a run, the file is in HDF5 SWMR-write mode and its superblock carries
"open for write" flags. A process killed mid-run never clears them, so a plain open
(``h5py.File(path, 'r')``, ``h5dump``, MATLAB, HDFView) refuses the file with "file is already
open for write (may use <h5clear file> to clear file consistency flags)". Only SWMR readers open
it (``astrosim.io.load`` does that by itself). `recover` clears the flags the way HDF5's
``h5clear -s --increment`` does, after checking that no process still has the file open for
writing, then marks the run ``interrupted`` with the time up to which its data is complete.
"""
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass

import h5py

from .h5file import check_writable, open_file
from .layout import FORMAT_NAME

__all__ = ["recover", "RecoverError", "Superblock", "read_superblock", "writers_of", "lookup3"]

_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MASK = 0xFFFFFFFF


class RecoverError(ValueError):
    """A file cannot be recovered (not HDF5, still being written, or an unknown superblock)."""


def _rot(x, k):
    return ((x << k) | (x >> (32 - k))) & _MASK


def lookup3(data, initval=0):
    """Bob Jenkins' lookup3 ``hashlittle`` of ``data``: the checksum HDF5 puts on its metadata."""
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & _MASK
    if n == 0:
        return c
    pos = 0

    def word(i):
        chunk = data[i:i + 4]
        return int.from_bytes(chunk + b"\0" * (4 - len(chunk)), "little")

    while n - pos > 12:
        a = (a + word(pos)) & _MASK
        b = (b + word(pos + 4)) & _MASK
        c = (c + word(pos + 8)) & _MASK
        # mix
        a = (a - c) & _MASK; a ^= _rot(c, 4); c = (c + b) & _MASK  # noqa: E702
        b = (b - a) & _MASK; b ^= _rot(a, 6); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 8); b = (b + a) & _MASK  # noqa: E702
        a = (a - c) & _MASK; a ^= _rot(c, 16); c = (c + b) & _MASK  # noqa: E702
        b = (b - a) & _MASK; b ^= _rot(a, 19); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 4); b = (b + a) & _MASK  # noqa: E702
        pos += 12
    tail = data[pos:]  # 1..12 bytes, zero padded
    a = (a + word(pos)) & _MASK if len(tail) > 0 else a
    b = (b + word(pos + 4)) & _MASK if len(tail) > 4 else b
    c = (c + word(pos + 8)) & _MASK if len(tail) > 8 else c
    # final
    c ^= b; c = (c - _rot(b, 14)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 11)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 25)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 16)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 4)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 14)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 24)) & _MASK  # noqa: E702
    return c


@dataclass
class Superblock:
    """The fields of an HDF5 version 2/3 superblock that recovery touches."""

    offset: int  # where the superblock starts in the file
    version: int
    size_of_offsets: int
    flags: int  # file consistency flags: bit 0 open for write, bit 2 open for SWMR write
    base_address: int
    eof_address: int  # end of allocated space, relative to base_address

    @property
    def length(self):
        return 12 + 4 * self.size_of_offsets + 4

    @property
    def open_for_write(self):
        return self.flags != 0

    def encode(self, raw):
        """The superblock bytes ``raw`` with this object's flags and EOF address, checksum updated."""
        o = self.size_of_offsets
        out = bytearray(raw[: self.length - 4])
        out[11] = self.flags
        out[12 + 2 * o: 12 + 3 * o] = self.eof_address.to_bytes(o, "little")
        return bytes(out) + struct.pack("<I", lookup3(bytes(out)))


def read_superblock(path):
    """Find and decode the superblock of ``path``; returns ``(Superblock, raw bytes)``.

    Raises
    ------
    RecoverError
        If the file is not HDF5, or its superblock is of a version (0/1) or has a checksum this
        code does not handle.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            if fh.read(8) == _SIGNATURE:
                break
            offset = 512 if offset == 0 else offset * 2
        else:
            raise RecoverError(f"{path}: not an HDF5 file (no HDF5 signature found)")
        fh.seek(offset)
        head = fh.read(12)
        version, o = head[8], head[9]
        if version not in (2, 3):
            raise RecoverError(
                f"{path}: HDF5 superblock version {version}; only versions 2 and 3 (HDF5 1.8+ "
                "formats, which astrosim writes) carry the write flags that recovery clears"
            )
        fh.seek(offset)
        raw = fh.read(12 + 4 * o + 4)
    fields = [int.from_bytes(raw[12 + k * o: 12 + (k + 1) * o], "little") for k in range(4)]
    block = Superblock(offset, version, o, raw[11], fields[0], fields[2])
    stored = struct.unpack("<I", raw[-4:])[0]
    if lookup3(raw[:-4]) != stored:
        raise RecoverError(f"{path}: the superblock's checksum does not match: the start of the file is damaged")
    return block, raw


def writers_of(path):
    """Process ids (other than this one) holding ``path`` open for writing; None where unknown.

    Linux only (reads ``/proc``); returns None on systems without it.
    """
    if not os.path.isdir("/proc/self/fd"):
        return None
    target = os.stat(path)
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"{fd_dir}/{fd}")
                if (st.st_dev, st.st_ino) != (target.st_dev, target.st_ino):
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next(int(line.split()[1], 8) for line in info if line.startswith("flags:"))
            except (OSError, StopIteration, ValueError):
                continue
            if flags & 3:  # O_WRONLY or O_RDWR
                found.append(int(pid))
                break
    return found


def _patch(path, block, raw):
    """Clear the write flags and raise the EOF address to the file's size, in place."""
    size = os.path.getsize(path)
    end = block.base_address + block.eof_address
    padded = 0
    if size < end:  # space allocated but never written before the kill: make it exist
        padded = end - size
        os.truncate(path, end)
    fixed = Superblock(block.offset, block.version, block.size_of_offsets, 0, block.base_address,
                       max(block.eof_address, size - block.base_address))
    with open(path, "r+b") as fh:
        fh.seek(block.offset)
        fh.write(fixed.encode(raw))
        fh.flush()
        os.fsync(fh.fileno())
    return padded


@dataclass
class Recovered:
    """What `recover` did."""

    path: str
    changed: bool
    status: str = ""
    t_complete: float = None
    padded_bytes: int = 0
    note: str = ""


def _mark_interrupted(path, when):
    """Write the run status of a recovered astrosim file (``interrupted`` + the complete time).

    Returns ``(status, t_complete)``; ``('', None)`` for HDF5 files not written by astrosim.
    """
    from .reader import _attr, load
    from .span import run_span

    with h5py.File(path, "r") as f:
        if _attr(f.attrs.get("format")) != FORMAT_NAME:
            return "", None
    with load(path) as rec:
        span = run_span(rec)
    with open_file(path) as f:
        if span.status == "running":
            f.attrs["status"] = "interrupted"
            f.attrs["status_reason"] = (
                "the writing process stopped without closing the file (killed or crashed); "
                f"recovered by astrosim recover on {when}; data complete up to t = {span.t_stop:g} s"
            )
            f.attrs["complete"] = False
        if "t_complete" not in f.attrs:
            f.attrs["t_complete"] = float(span.t_stop)
        return _attr(f.attrs.get("status", span.status)), span.t_stop


def recover(path, out=None, force=False):
    """Clear the "open for write" state a killed writer left in ``path`` so plain readers open it.

    Parameters
    ----------
    path : str or path-like
        The file (an astrosim recording, or any HDF5 file with a version 2/3 superblock).
    out : str or path-like, optional
        Write the recovered file here and leave ``path`` untouched (refused if ``out`` exists).
        By default ``path`` is repaired in place (a few bytes of its superblock are rewritten).
    force : bool
        Recover even if a process still has the file open for writing.

    Returns
    -------
    Recovered
        ``changed`` is False when the file was already openable (nothing is written then).

    Raises
    ------
    RecoverError
        If the file is still being written, is not HDF5, or cannot be recovered.
    """
    from .metadata import utc_now

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    block, raw = read_superblock(path)
    if not block.open_for_write:
        if out is not None:
            raise RecoverError(f"{path}: nothing to recover (the file opens with plain readers); no copy written")
        return Recovered(path, False, note="the file was closed cleanly; nothing to do")
    writers = writers_of(path)
    if writers and not force:
        raise RecoverError(
            f"{path}: still open for writing by process {', '.join(map(str, writers))}: a run is still "
            "writing it (astrosim inspect reads it meanwhile). Wait for the run to end, or stop it; "
            "--force recovers anyway"
        )
    try:
        with h5py.File(path, "r", swmr=True):
            pass
    except OSError as err:
        raise RecoverError(f"{path}: cannot be opened even as an SWMR reader, so it is damaged beyond "
                           f"what recovery fixes ({err})") from None
    target = path
    if out is not None:
        out = os.fspath(out)
        if os.path.exists(out):
            raise FileExistsError(f"{out} exists; astrosim recover never replaces a file: choose another --out")
        check_writable(out, overwrite=False)
        fd, target = tempfile.mkstemp(suffix=".h5.tmp", dir=os.path.dirname(os.path.abspath(out)))
        os.close(fd)
        shutil.copyfile(path, target)
    try:
        padded = _patch(target, block, raw)
        try:
            with h5py.File(target, "r"):
                pass
        except OSError as err:
            if target == path:  # put the original superblock back
                with open(path, "r+b") as fh:
                    fh.seek(block.offset)
                    fh.write(raw)
            raise RecoverError(f"{path}: cleared the write flags but the file still does not open ({err}); "
                               "left unchanged") from None
        status, t_complete = _mark_interrupted(target, utc_now())
        if out is not None:
            os.replace(target, out)
            target = out
    except BaseException:
        if out is not None and os.path.exists(target) and target != out:
            os.remove(target)
        raise
    note = f"padded {padded} bytes that were allocated but never written" if padded else ""
    return Recovered(target, True, status, t_complete, padded, note)
