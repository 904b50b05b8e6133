"""Output files written whole or not at all: a temporary name in the same folder, then a rename."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import AuditorError, Location, OutputError
from .interrupts import held

#: what the operating system says when it does not let a place be written (no permission, a
#: folder made immutable, a read-only file system)
REFUSED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


@contextmanager
def refused_as_error(
    place: Path,
    message: str = "cannot write here",
    hint: str = "give a path in a folder you can write to",
) -> Iterator[None]:
    """Writing at ``place``: the operating system refusing it is one line naming ``place``."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in REFUSED_ERRNOS:
            raise
        raise OutputError(
            f"{message}: {exc.strerror}", location=Location(str(place)), hint=hint
        ) from None


def make_parent(path: Path) -> None:
    """Make ``path``'s folder and those above it, or say in one line why they cannot be made."""
    try:
        with refused_as_error(path):
            path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise AuditorError(
            "cannot write here: a folder on the way is a regular file",
            location=Location(str(path)),
            hint="give a path whose folders are folders",
        ) from None


def _mask_at_start() -> int:
    """The file-creation mask when this module is imported (``os.umask`` can only be read by
    setting it, for every thread at once: done here, before any thread of ours runs)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MASK_AT_START = _mask_at_start()


def _umask() -> int:
    """The process's file-creation mask now: from /proc where there is one, else as it was
    at start."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return _MASK_AT_START


def _temporary(path: Path, private: bool = False) -> tuple[int, str]:
    """A temporary file beside ``path``, readable as any file the user writes (mkstemp makes
    it for its owner alone, which would carry over to ``path``), or by its owner alone when
    ``private`` (a key: it is never readable by others, not even for a moment)."""
    make_parent(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    if not private:
        os.chmod(temporary, 0o666 & ~_umask())
    return handle, temporary


@contextmanager
def replacing(
    path: Path, mode: str = "w", private: bool = False, **options: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on failure it
    goes (``private``: the file is its owner's alone)."""
    with refused_as_error(path):
        handle, temporary = _temporary(path, private)
        try:
            with os.fdopen(handle, mode, **options) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def write_text(path: Path, text: str) -> None:
    with replacing(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def write_bytes(path: Path, data: bytes, private: bool = False) -> None:
    with replacing(path, "wb", private) as stream:
        stream.write(data)


def write_with(path: Path, writer: Callable[[Path], None]) -> None:
    """Let ``writer`` write a temporary file (by path, for libraries that want one), then rename it."""
    with refused_as_error(path):
        handle, temporary = _temporary(path)
        os.close(handle)
        try:
            writer(Path(temporary))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


#: the files an audit writes into its folder (an earlier run's are replaced or removed)
AUDIT_OUTPUTS = (
    "findings.json",
    "findings.json.sig",
    "report.html",
    "report.pdf",
    "capa.csv",
    "capa.xlsx",
    "failing-records.csv",
    "failing-records.parquet",
    "junit.xml",
    "assessment-results.json",
    "evidence.db",
    "evidence.db-wal",
    "evidence.db-shm",
    "evidence.db.duckdb",  # the records of a store for the DuckDB engine
    "evidence.db.duckdb.wal",
)


#: what ``auditor report render`` makes from findings.json: in an audit's folder, or in a
#: folder inside it (``report render --out DIR/en``)
REPORT_FILES = ("report.html", "report.pdf", "capa.csv", "capa.xlsx")


@dataclass
class Replaced:
    """What replacing an audit's outputs did beside writing the new set, for the user."""

    #: the earlier run's outputs the new set lacks, removed
    removed: list[str] = field(default_factory=list)
    #: folders inside that hold a report rendered from the earlier findings, left as they were
    reports_left: list[str] = field(default_factory=list)


@contextmanager
def staged_outputs(target: Path, replaced: Replaced | None = None) -> Iterator[Path]:
    """A hidden folder inside ``target`` to write a whole set of outputs into.

    When the block ends normally the new set replaces the earlier one (its
    files moved in, an earlier run's outputs the new set lacks removed); when it
    fails, the staging folder goes and ``target`` keeps the earlier set as it was:
    never a report of one run beside the findings of another (and the folders made for
    the run go too). A folder where an output file goes (not an earlier run's output: the
    user's) stops it before anything is written. A folder of the set (a pack's audit in a
    combined audit) replaces the earlier one file by file, by the same rules; a file of the
    user's, or a folder holding no earlier audit's findings.json, where it goes stops it
    before anything is moved. ``replaced`` is told what was removed and which folders of
    reports rendered from the earlier findings were left.
    """
    _no_folder_in_the_way(target)
    made = [folder for folder in (target, *target.parents) if not folder.exists()]
    staging = _staging_folder(target)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # the deepest first
            with suppress(OSError):  # not empty: another process wrote into it meanwhile
                folder.rmdir()
        raise
    # Ctrl-C or SIGTERM now would leave half of each set: they wait the moves out; another
    # process moving its own set into the same folder waits for this one's to be all in
    try:
        with held(), _moving_into(target):
            folders = _audit_folders(staging)
            _no_folder_in_the_way(target)  # made meanwhile
            for name in folders:
                _no_audit_folder_in_the_way(target / name)
            gone = _replace_set(staging, target, folders)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if replaced is not None:
        replaced.removed.extend(gone)
        replaced.reports_left.extend(_reports_left(target, set(folders)))
        for name in folders:
            replaced.reports_left.extend(f"{name}/{f}" for f in _reports_left(target / name, set()))


def _audit_folders(staging: Path) -> list[str]:
    """The folders of a staged set: each pack's audit, in a combined audit's set."""
    return sorted(e.name for e in staging.iterdir() if e.is_dir() and not e.is_symlink())


def _reports_left(target: Path, staged: set[str]) -> list[str]:
    """The folders in ``target`` (not of the new set) holding a rendered report: rendered from
    the findings just replaced, they are the user's to render again or remove."""
    return [
        entry.name
        for entry in sorted(target.iterdir())
        if entry.is_dir()
        and not entry.is_symlink()
        and not entry.name.startswith(".")
        and entry.name not in staged
        and any((entry / name).is_file() for name in REPORT_FILES)
    ]


def _no_folder_in_the_way(target: Path) -> None:
    """Stop when a folder has the name of a file an audit writes in ``target``: replacing the
    set would remove it with all it holds."""
    for name in AUDIT_OUTPUTS:
        place = target / name
        if place.is_dir() and not place.is_symlink():
            raise OutputError(
                "a folder has the name of a file the audit writes here",
                location=Location(str(place)),
                hint="move or rename that folder, or give another --out",
            )


def _no_audit_folder_in_the_way(place: Path) -> None:
    """Stop when where a folder of the set goes is a file, or a folder not an earlier audit's
    (no findings.json): the user's, which the set must not be mixed into."""
    if not os.path.lexists(place):
        return
    if place.is_symlink() or not (place / "findings.json").is_file():
        raise OutputError(
            "a file or folder of yours has the name of a folder the audit writes here",
            location=Location(str(place)),
            hint="move or rename it, or give another --out",
        )
    _no_folder_in_the_way(place)


def _replace_set(staging: Path, target: Path, folders: list[str]) -> list[str]:
    """The staged set in place of the earlier outputs, or (a file the system will not move)
    the earlier set as it was: the earlier outputs are set aside first, and put back if any
    move fails, so a failure never leaves one run's files beside another's. The staged
    ``folders`` replace the earlier ones of their names file by file, the same way. The names
    of the earlier outputs the new set lacks (``pack/capa.csv`` in a folder), which are gone."""
    hint = "give --out a folder whose files you can replace"
    with _undone_on_failure(target, "cannot replace the outputs here", hint) as (aside, moves):
        gone = _replace_files(staging, target, aside, set(folders), moves)
        for name in folders:
            if not os.path.lexists(target / name):
                _move(staging / name, target / name, moves)
                continue
            (aside / name).mkdir()
            inside = _replace_files(staging / name, target / name, aside / name, set(), moves)
            gone.extend(f"{name}/{n}" for n in inside)
    return gone


def _replace_files(
    staging: Path, target: Path, aside: Path, folders: set[str], moves: Moves
) -> list[str]:
    """The staged files (not ``folders``) in place of the earlier outputs in ``target``, these
    set aside first; the names of the earlier outputs the new set lacks."""
    staged = {entry.name for entry in staging.iterdir()} - folders
    names = sorted(staged | set(AUDIT_OUTPUTS))
    gone = [n for n in names if os.path.lexists(target / n) and not os.path.lexists(staging / n)]
    for name in names:
        if os.path.lexists(target / name):
            _move(target / name, aside / name, moves)
    for name in names:
        if os.path.lexists(staging / name):
            _move(staging / name, target / name, moves)
    return gone


Moves = list[tuple[Path, Path]]


@contextmanager
def _undone_on_failure(target: Path, message: str, hint: str) -> Iterator[tuple[Path, Moves]]:
    """A hidden folder in ``target`` to set replaced files aside in, and the list of the moves
    made: should any fail (one line when the system refused it), every move is undone, latest
    first, and the folder goes unless something could not be put back."""
    aside = Path(tempfile.mkdtemp(prefix=".auditor-previous-", dir=target))
    moves: Moves = []
    try:
        with refused_as_error(target, message, hint):
            yield aside, moves
    except BaseException:
        for source, destination in reversed(moves):
            with suppress(OSError):
                os.replace(destination, source)
        if not any(p.is_file() or p.is_symlink() for p in aside.rglob("*")):
            shutil.rmtree(aside, ignore_errors=True)  # else left, with what was not put back
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _move(source: Path, destination: Path, moves: Moves) -> None:
    os.replace(source, destination)
    moves.append((source, destination))


@contextmanager
def staged_files(target: Path) -> Iterator[Path]:
    """A hidden folder inside ``target`` to write several files into, moved in together at the end.

    Unlike :func:`staged_outputs` nothing else in ``target`` is touched: the
    files written (in subfolders too) replace those of the same names when the
    block ends normally, and none of them does when it fails or is interrupted.
    """
    staging = _staging_folder(target)
    try:
        yield staging
        with held(), _moving_into(target):
            _files_into(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging_folder(target: Path) -> Path:
    """A new hidden folder inside ``target`` (made first), or one line why none can be made there."""
    from .paths import output_folder

    output_folder(target)
    with refused_as_error(
        target, "cannot write outputs here", "give --out a folder you can write to"
    ):
        return Path(tempfile.mkdtemp(prefix=".auditor-staging-", dir=target))


@contextmanager
def _moving_into(target: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file left behind) while a set moves in."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the moves are not serialised
        yield
        return
    handle = os.open(target, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _files_into(staging: Path, target: Path) -> None:
    """Every file under ``staging`` renamed to the same place under ``target``, the files they
    replace set aside first: all of them, or (a file the system will not move, a folder where a
    file goes) none, the earlier files put back, and one line why."""
    hint = "give a folder whose files you can replace"
    with _undone_on_failure(target, "cannot replace the files here", hint) as (aside, moves):
        _move_files(staging, target, aside, moves)


def _move_files(source: Path, target: Path, aside: Path, moves: Moves) -> None:
    for entry in sorted(source.iterdir()):
        destination = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            if not destination.is_dir():
                destination.mkdir()  # kept, empty, should a later move fail
            (aside / entry.name).mkdir(exist_ok=True)
            _move_files(entry, destination, aside / entry.name, moves)
            continue
        if destination.is_dir() and not destination.is_symlink():
            raise AuditorError(
                "cannot write a file here: a folder of that name is in the way",
                location=Location(str(destination)),
                hint="remove or rename that folder, or give another folder",
            )
        if os.path.lexists(destination):
            _move(destination, aside / entry.name, moves)
        _move(entry, destination, moves)
