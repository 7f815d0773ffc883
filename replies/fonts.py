"""The letter's fonts, reduced once to the repertoire letters use, and one WeasyPrint font
configuration per process.

Embedding a font in a PDF means subsetting it, and WeasyPrint does that per document from the
whole font file: for the free CJK fonts (Noto Serif/Sans CJK, 65 000 glyphs and 20–27 MB per
collection) that was most of a letter's rendering time. So each letter font is reduced once to
GB 2312, ASCII and the punctuation letters use (about 7 500 characters; `repertoire`), and the
letters name the reduced copy first in `font-family`, with the full font after it: a character
outside the reduced copy (a rare character in a name, 㵘, 𠀀) still prints, from the full font.

The reduced copies are cached in settings.LETTER_FONT_CACHE_DIR, named after the source font's
SHA-256 (a changed font file gets a new copy), each with a `.sha256` file that holds the copy's
own checksum: a damaged or partial copy does not match and is built again. Copies are written to
a temporary file and renamed into place, under a lock file, so that concurrent processes build
each one once and never read a partial one. `manage.py prepare_letter_fonts` builds them (the
Docker image does at build time, a worker at start when they are missing); otherwise the first
letter builds them (about 30 s for the four Noto faces, on one core).

WeasyPrint loads the @font-face fonts into a FontConfiguration; a new one per document would read
and copy every font again, so each thread of each process keeps one (`font_configuration`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Bump when the repertoire or the subsetting options change: the cache names carry it.
REDUCTION_VERSION = 4

# OpenType features kept: fontTools' defaults (locl, kern, halt, palt, chws, ccmp …) less the
# vertical ones: every feature kept also keeps the glyphs it reaches, and each glyph costs every
# letter's subsetting and compression. 'locl' stays, for zh-Hans only (ZHS): it gives — (U+2014)
# and other marks their full-width Chinese forms; the Japanese, Korean and traditional forms of
# the other language systems (5 500 glyphs) go.
DROPPED_FEATURES = {"valt", "vchw", "vert", "vhal", "vkrn", "vpal", "vrt2"}
KEPT_LANGUAGE_SYSTEMS = {"ZHS "}
DROPPED_TABLES = ["vhea", "vmtx", "VORG"]  # vertical metrics: letters are set horizontally

# Besides GB 2312 and ASCII: the spaces, dashes, quotes and marks of Chinese official text that
# GB 2312 lacks or that letters insert (U+2005 between Latin words, U+2E3A ⸺), and the
# full-width forms.
EXTRA_RANGES = (
    (0x00A0, 0x00FF),  # Latin-1: no-break space, ·, °, ×, ÷
    (0x2000, 0x206F),  # general punctuation: spaces, – — ‘ ’ “ ” … ‰ ※
    (0x2100, 0x218F),  # letter-like symbols and number forms: ℃ № Ⅰ–Ⅻ
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics: ①–⑳ ⑴ ⒈
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes: □ ■ ○ ● △
    (0x2E3A, 0x2E3B),  # two- and three-em dashes
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。〈〉《》「」『』【】〔〕〇
    (0x3200, 0x32FF),  # enclosed CJK: ㈠–㈩ ㊀
    (0xFE10, 0xFE1F),  # vertical forms
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms
)


@cache
def repertoire() -> frozenset[int]:
    """The code points of a reduced font: GB 2312, printable ASCII and EXTRA_RANGES."""
    points = set(range(0x20, 0x7F))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                points.update(map(ord, bytes((high, low)).decode("gb2312")))
    for first, last in EXTRA_RANGES:
        points.update(range(first, last + 1))
    return frozenset(points)


def cache_dir() -> Path:
    return Path(settings.LETTER_FONT_CACHE_DIR)


# --- building and checking a reduced copy ----------------------------------------------------


_digests: dict[tuple[str, int, int], str] = {}
_checked: set[Path] = set()  # copies whose checksum this process has verified
_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as opened:
        for chunk in iter(lambda: opened.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_digest(path: Path) -> str:
    """SHA-256 of a source font, hashed once per process (and again if the file changes)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = file_sha256(path)
    return _digests[key]


def reduced_path(source: Path, index: int) -> Path:
    """Where the reduced copy of face `index` of `source` is cached."""
    digest = source_digest(source)
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in source.stem)
    return cache_dir() / f"{stem}-{index}-{digest[:24]}-r{REDUCTION_VERSION}.otf"


def _checksum_file(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def is_valid(target: Path) -> bool:
    """The copy exists and matches the checksum written when it was built."""
    try:
        wanted = _checksum_file(target).read_text().split()[0]
        return target.is_file() and file_sha256(target) == wanted
    except (OSError, IndexError):
        return False


def build_reduced(source: Path, index: int, target: Path) -> None:
    """Subset face `index` of `source` to the repertoire (every layout feature, the names and the
    hinting kept) and write it to `target`, then its checksum; each file atomically."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = [f for f in options.layout_features if f not in DROPPED_FEATURES]
    options.drop_tables += DROPPED_TABLES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.hinting = True
    options.glyph_names = False
    # bounding boxes of the full font still bound the reduced one; recomputing them for every
    # CFF glyph would double the build time
    font = TTFont(source, fontNumber=index, recalcBBoxes=False, recalcTimestamp=False)
    try:
        _only_chinese_language_systems(font)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=repertoire())
        subsetter.subset(font)

        def write(path: str) -> None:
            font.save(path)
            _identity_cids(path)

        _write_atomically(target, write)
    finally:
        font.close()
    checksum = f"{file_sha256(target)}  {source.name} #{index}\n".encode()
    _write_atomically(_checksum_file(target), lambda path: Path(path).write_bytes(checksum))


def _only_chinese_language_systems(font: Any) -> None:
    """Drop the layout's language systems other than KEPT_LANGUAGE_SYSTEMS (each script's default
    stays), so that subsetting keeps only the glyphs their features reach."""
    for tag in ("GSUB", "GPOS"):
        if tag not in font or not font[tag].table.ScriptList:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [
                lang for lang in script.LangSysRecord if lang.LangSysTag in KEPT_LANGUAGE_SYSTEMS
            ]
            script.LangSysCount = len(script.LangSysRecord)


def _identity_cids(path: str) -> None:
    """Number the glyphs of a CID-keyed CFF font CID = glyph index, as in the source (Noto CJK).
    Subsetting keeps the source CIDs (glyph 190 may be CID 191), but WeasyPrint writes glyph
    indexes as CIDs (Identity-H), and a reader that finds glyphs through the font's charset, as
    the PDF standard has it for CID-keyed CFF, would draw other glyphs. Only the CFF table
    changes: the other tables refer to glyphs by index and are copied as they are."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, recalcBBoxes=False, recalcTimestamp=False) as font:
        if "CFF " not in font:
            return
        top = font["CFF "].cff.topDictIndex[0]
        old = list(top.charset)
        new = [".notdef", *(f"cid{index:05d}" for index in range(1, len(old)))]
        if not hasattr(top, "ROS") or old == new:
            return  # name-keyed, or already in order
        strings = top.CharStrings
        strings.charStrings = {
            name: strings.charStrings[former] for name, former in zip(new, old, strict=True)
        }
        top.charset = new
        font.setGlyphOrder(new)
        data = io.BytesIO()
        font.save(data)
    Path(path).write_bytes(data.getvalue())


def _write_atomically(target: Path, write: Any) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """An exclusive lock per copy across processes (and, with _lock, across threads)."""
    with _lock, open(target.with_name(target.name + ".lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def reduced_font(source: Path, index: int = 0) -> Path | None:
    """The reduced copy of a font, built if missing or damaged; None if it cannot be had (the
    letter then uses the full font, slower but complete)."""
    try:
        target = reduced_path(source, index)
        if target in _checked:
            return target
        if not is_valid(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            with _build_lock(target):
                if not is_valid(target):  # another process may have built it meanwhile
                    start = time.monotonic()
                    build_reduced(source, index, target)
                    logger.info(
                        "reduced %s #%d to %s in %.1f s",
                        source,
                        index,
                        target.name,
                        time.monotonic() - start,
                    )
        _checked.add(target)
        return target
    except Exception:
        logger.warning("could not reduce the letter font %s #%d", source, index, exc_info=True)
        return None


# --- the faces a letter declares ------------------------------------------------------------


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule of the letter."""

    family: str
    path: Path
    weight: str = "normal"


@dataclass(frozen=True)
class FontChoice:
    """What a role of the letter names in font-family: `family` (declared by `faces` where
    those are given) then `fallbacks`."""

    family: str
    faces: tuple[FontFace, ...] = ()
    fallbacks: tuple[str, ...] = ()


def fc_match(pattern: str) -> tuple[Path, int] | None:
    """The file and face index fontconfig chooses for `pattern`."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = found.partition("|")
    return (Path(path), int(index or 0)) if path else None


@cache
def system_choice(family: str) -> FontChoice:
    """A free system family (Noto Serif CJK SC): its regular and bold faces reduced, declared as
    "<family> GB2312", the full family after it. Where a face cannot be reduced, the full family
    alone (as before reduced fonts)."""
    regular = fc_match(f"{family}:weight=regular")
    bold = fc_match(f"{family}:weight=bold")
    if regular is None:
        return FontChoice(family)
    faces = []
    reduced_family = f"{family} GB2312"
    for weight, found in (("normal", regular), ("bold", bold)):
        if found is None or (weight == "bold" and found == regular):
            continue  # no bold face: synthesised from the regular one, as before
        reduced = reduced_font(*found)
        if reduced is None:
            return FontChoice(family)
        faces.append(FontFace(reduced_family, reduced, weight))
    return FontChoice(reduced_family, tuple(faces), (family,))


def licensed_choice(role: str, path: Path, fallback: str) -> FontChoice:
    """A licensed font file (仿宋_GB2312.ttf): its reduced copy first, the whole file after it,
    then the free family. The family names carry the file's digest, so that two different files
    for a role (tests do that) never share a name in a process's font configuration."""
    family = f"Letter {role}"
    try:
        family = f"Letter {role} {source_digest(path)[:8]}"
    except OSError:
        return FontChoice(family, (FontFace(family, path),), (fallback,))
    full = FontFace(f"{family} full", path)
    reduced = reduced_font(path)
    if reduced is None:
        return FontChoice(full.family, (full,), (fallback,))
    return FontChoice(family, (FontFace(family, reduced), full), (full.family, fallback))


def prune() -> list[Path]:
    """Remove the copies (and their checksum and lock files) of other REDUCTION_VERSIONs; only
    files named as this module names them."""
    removed = []
    pattern = re.compile(r".+-\d+-[0-9a-f]{24}-r(\d+)\.otf(\.sha256|\.lock)?")
    for path in cache_dir().glob("*-r*.otf*"):
        found = pattern.fullmatch(path.name)
        if found and int(found.group(1)) != REDUCTION_VERSION:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


# --- one WeasyPrint font configuration per process and thread ---------------------------------


_local = threading.local()


def font_configuration() -> Any:
    """This thread's WeasyPrint FontConfiguration, made once and reused for every letter (a
    fork gets its own: fontconfig state is not shared across processes)."""
    from weasyprint.text.fonts import FontConfiguration

    config = getattr(_local, "config", None)
    if config is None or _local.pid != os.getpid():
        config = FontConfiguration()
        _local.config, _local.pid = config, os.getpid()
        _configurations.append((os.getpid(), config))
    return config


_configurations: list[tuple[int, Any]] = []


@atexit.register
def close() -> None:
    """Remove the folders the font configurations copied the fonts into (WeasyPrint removes them
    only when a configuration is collected, which a process's end does not promise)."""
    for pid, config in [*_configurations]:
        folder = getattr(config, "_folder", None)
        if pid == os.getpid() and folder:  # a fork's parent keeps its own
            shutil.rmtree(folder, ignore_errors=True)
    _configurations.clear()
    _local.__dict__.clear()
