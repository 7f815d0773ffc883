"""The letter's reduced fonts (replies/fonts.py): a character outside the reduced copy still
prints from the full font, and the cache is built once, reused, rebuilt when damaged and safe
to build from several processes at once."""

from __future__ import annotations

import multiprocessing
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from fontTools.ttLib import TTFont

from replies import fonts
from replies.letters import letter_fonts, render_letter
from replies.models import Reply
from replies.text import clean_body

from .pdf_layout import fonts as pdf_fonts
from .pdf_layout import layout_text, normalise, read_layout
from .test_letters_layout import SOURCES

# Not in GB 2312, but in the full Noto CJK SC fonts: CJK Extension A (㵘, 䶮) and a character
# people's names carry (堃)
RARE = "㵘䶮堃"
SHARED_TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_letter.py"


def cmap(path: Path, index: int = 0) -> set[int]:
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return set(font.getBestCmap())


def rare_reply() -> Reply:
    """The chaotian letter, to a member whose name and whose item hold the rare characters."""
    reply = SOURCES["chaotian"].reply
    copy = Reply(
        **{
            field.attname: getattr(reply, field.attname)
            for field in Reply._meta.concrete_fields
            if not field.primary_key
        }
    )
    copy.salutation = "王㵘堃委员："
    copy.body_html = clean_body(f"关于䶮字的用法，我们已会同有关单位研究（{RARE}）。")
    return copy


def test_reduced_fonts_lack_the_rare_characters_the_full_ones_have() -> None:
    """The premise of the fallback test: the reduced body font lacks them, its source has them."""
    body = letter_fonts()["body"]
    assert body.choice is not None and body.choice.faces, "the body font was not reduced"
    regular = next(face for face in body.choice.faces if face.weight == "normal")
    source = fonts.fc_match(f"{body.choice.fallbacks[-1]}:weight=regular")
    assert source is not None
    rare = {ord(char) for char in RARE}
    assert not rare & cmap(regular.path)
    assert rare <= cmap(*source)
    assert len(cmap(regular.path)) < len(cmap(*source)) / 3


def test_a_character_outside_the_reduced_font_prints_from_the_full_one(tmp_path: Path) -> None:
    reply = rare_reply()
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    text = normalise(layout_text(read_layout(pdf)))
    for part in ("王㵘堃委员", f"关于䶮字的用法，我们已会同有关单位研究（{RARE}）。"):
        assert normalise(part) in text, f"{part!r} is not in the PDF text"
    names = [row["name"].split("+")[-1] for row in pdf_fonts(pdf)]
    reduced = [name for name in names if name.endswith("GB2312")]
    full = [name for name in names if name.startswith("Noto-Serif-CJK") and name not in reduced]
    assert reduced, f"no reduced font among {names}"
    assert full, f"the full font did not print the rare characters: {names}"
    assert all(row["emb"] == "yes" for row in pdf_fonts(pdf))
    if SHARED_TOOLS.is_file():  # the measuring tool, beside the project
        source = tmp_path / "body.txt"
        source.write_text(f"{reply.salutation}\n关于䶮字的用法，我们已会同有关单位研究（{RARE}）。")
        checked = subprocess.run(
            ["python3", str(SHARED_TOOLS), str(pdf), str(source)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        lost = re.search(r"source missing from the PDF: (\d+) of (\d+)", checked)
        assert lost and lost.group(1) == "0" and int(lost.group(2)) > 20, checked


# --- the cache ---------------------------------------------------------------------------------


@pytest.fixture
def small_font(tmp_path: Path) -> Path:
    """A small TrueType font to reduce in a second (the CJK ones take 5–10 s each)."""
    matched = fonts.fc_match("DejaVu Sans:fontformat=TrueType")
    found = str(matched[0]) if matched else ""
    if not found.endswith(".ttf"):
        pytest.skip("no small TrueType font")
    copy = tmp_path / "source.ttf"
    copy.write_bytes(Path(found).read_bytes())
    return copy


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "cache"
    with override_settings(LETTER_FONT_CACHE_DIR=str(folder)):
        fonts._checked.clear()
        yield folder
    fonts._checked.clear()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A log with one line per build, also from forked processes; each build takes a while, so
    that concurrent processes do overlap."""
    log = tmp_path / "builds.log"
    log.touch()
    original = fonts.build_reduced

    def counted(source: Path, index: int, target: Path) -> None:
        with open(log, "a") as opened:
            opened.write(f"{target.name}\n")
        time.sleep(0.3)
        original(source, index, target)

    monkeypatch.setattr(fonts, "build_reduced", counted)
    return log


def build_count(log: Path) -> int:
    return len(log.read_text().splitlines())


def test_the_cache_is_built_once_and_reused(small_font: Path, cache: Path, builds: Path) -> None:
    first = fonts.reduced_font(small_font)
    assert first is not None and first.parent == cache
    assert fonts.is_valid(first)
    assert build_count(builds) == 1
    fonts._checked.clear()  # as a new process would
    again = fonts.reduced_font(small_font)
    assert again == first
    assert build_count(builds) == 1
    # the copy holds what the source has of the repertoire (and glyphs its layout features
    # reach), not the rest
    kept, source = cmap(first), cmap(small_font)
    assert source & fonts.repertoire() <= kept <= source
    assert len(kept) < len(source) / 2


def test_a_changed_source_font_gets_a_new_copy(small_font: Path, cache: Path, builds: Path) -> None:
    first = fonts.reduced_font(small_font)
    with TTFont(small_font) as font:
        font["head"].fontRevision += 1
        font.save(small_font)
    second = fonts.reduced_font(small_font)
    assert second is not None and second != first
    assert build_count(builds) == 2


@pytest.mark.parametrize("damage", ["truncated", "overwritten", "checksum missing", "deleted"])
def test_a_damaged_cache_file_is_rebuilt(
    small_font: Path, cache: Path, builds: Path, damage: str
) -> None:
    path = fonts.reduced_font(small_font)
    assert path is not None
    good = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "overwritten":
        path.write_bytes(good[:100] + bytes(200) + good[300:])
    elif damage == "checksum missing":
        path.with_name(path.name + ".sha256").unlink()
    else:
        path.unlink()
    assert not fonts.is_valid(path)
    fonts._checked.clear()  # a new process
    assert fonts.reduced_font(small_font) == path
    assert build_count(builds) == 2
    assert fonts.is_valid(path)
    assert path.read_bytes() == good


def test_an_unbuildable_font_leaves_the_letter_on_the_full_font(
    tmp_path: Path, cache: Path
) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    assert fonts.reduced_font(broken) is None
    assert not list(cache.glob("*.otf")), "a broken copy was left in the cache"


def _reduce_in_child(source: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    fonts._checked.clear()
    path = fonts.reduced_font(Path(source))
    results.put(str(path) if path else "")


def test_concurrent_processes_build_a_copy_once(
    small_font: Path, cache: Path, builds: Path
) -> None:
    """Four processes ask for the same missing copy at once: one builds it, the others wait
    for it, and every one gets the complete file."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [
        context.Process(target=_reduce_in_child, args=(str(small_font), results)) for _ in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    paths = {results.get(timeout=5) for _ in children}
    assert len(paths) == 1 and "" not in paths, paths
    path = Path(paths.pop())
    assert fonts.is_valid(path)
    assert build_count(builds) == 1
    leftovers = [p.name for p in cache.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary files left: {leftovers}"


def test_one_font_configuration_per_process_and_thread() -> None:
    first = fonts.font_configuration()
    assert fonts.font_configuration() is first
    seen = []
    import threading

    thread = threading.Thread(target=lambda: seen.append(fonts.font_configuration()))
    thread.start()
    thread.join()
    assert seen and seen[0] is not first


def test_reduced_glyphs_are_the_source_glyphs() -> None:
    """Same outlines and advances for the characters a letter uses (and their index is their CID,
    as WeasyPrint's Identity-H encoding needs)."""
    from fontTools.pens.recordingPen import RecordingPen

    body = letter_fonts()["body"]
    assert body.choice is not None
    regular = next(face for face in body.choice.faces if face.weight == "normal")
    source = fonts.fc_match(f"{body.choice.fallbacks[-1]}:weight=regular")
    assert source is not None
    with TTFont(source[0], fontNumber=source[1], lazy=True) as full, TTFont(regular.path) as copy:
        order = copy.getGlyphOrder()
        assert all(name == f"cid{index:05d}" for index, name in enumerate(order) if index), (
            "glyph indexes are not CIDs"
        )
        full_map, copy_map = full.getBestCmap(), copy.getBestCmap()
        full_glyphs, copy_glyphs = full.getGlyphSet(), copy.getGlyphSet()
        for char in "中华人民共和国答复函，。、《》（）〔〕A1鄂":
            drawn = []
            for cmap_, glyphs in ((full_map, full_glyphs), (copy_map, copy_glyphs)):
                pen = RecordingPen()
                glyphs[cmap_[ord(char)]].draw(pen)
                drawn.append((pen.value, glyphs[cmap_[ord(char)]].width))
            assert drawn[0] == drawn[1], f"{char} differs in the reduced font"


def test_embedded_cid_fonts_number_glyphs_by_cid(tmp_path: Path) -> None:
    """In the PDF, glyph index = CID in every embedded CID-keyed font: a reader that maps the
    content's CIDs through the font's charset finds the glyph WeasyPrint meant."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_letter(rare_reply()).content))
    checked = 0
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            if "/FontFile3" not in descriptor:
                continue
            data = descriptor["/FontFile3"].get_object().get_data()
            with TTFont(io.BytesIO(data)) as embedded:
                top = embedded["CFF "].cff.topDictIndex[0]
                if not hasattr(top, "ROS"):
                    continue
                order = embedded.getGlyphOrder()
                wrong = [n for i, n in enumerate(order) if i and n != f"cid{i:05d}"]
                assert not wrong, f"{descendant['/BaseFont']}: {wrong[:3]}"
                checked += 1
    assert checked >= 2


def test_prune_removes_only_other_versions_copies(small_font: Path, cache: Path) -> None:
    current = fonts.reduced_font(small_font)
    assert current is not None
    old = cache / current.name.replace(f"-r{fonts.REDUCTION_VERSION}.otf", "-r0.otf")
    others = [old, old.with_name(old.name + ".sha256"), old.with_name(old.name + ".lock")]
    foreign = [cache / "half-marks-0123456789abcdef.otf", cache / "notes-r0.otf.txt"]
    for path in others + foreign:
        path.write_bytes(b"x")
    assert sorted(fonts.prune()) == sorted(others)
    assert all(path.exists() for path in foreign)
    assert fonts.is_valid(current)


def test_reduced_fonts_keep_the_chinese_locl_forms() -> None:
    """For zh-Hans (ZHS), 'locl' turns — (U+2014) into its full-width form; the reduced font
    keeps that (the line breaking counts a full em for it), without the other languages' forms."""

    def zhs_locl_target(font: TTFont) -> str | None:
        table = font["GSUB"].table
        hani = next(r.Script for r in table.ScriptList.ScriptRecord if r.ScriptTag == "hani")
        zhs = next(lang.LangSys for lang in hani.LangSysRecord if lang.LangSysTag == "ZHS ")
        dash = font.getBestCmap()[0x2014]
        for index in zhs.FeatureIndex:
            feature = table.FeatureList.FeatureRecord[index]
            if feature.FeatureTag != "locl":
                continue
            for lookup in feature.Feature.LookupListIndex:
                for sub in table.LookupList.Lookup[lookup].SubTable:
                    mapping = getattr(getattr(sub, "ExtSubTable", sub), "mapping", None) or {}
                    if dash in mapping:
                        return str(mapping[dash])
        return None

    body = letter_fonts()["body"]
    assert body.choice is not None
    regular = next(face for face in body.choice.faces if face.weight == "normal")
    source = fonts.fc_match(f"{body.choice.fallbacks[-1]}:weight=regular")
    assert source is not None
    with TTFont(source[0], fontNumber=source[1], lazy=True) as full, TTFont(regular.path) as copy:
        languages = {
            lang.LangSysTag
            for record in copy["GSUB"].table.ScriptList.ScriptRecord
            for lang in record.Script.LangSysRecord
        }
        assert languages == {"ZHS "}
        full_target, copy_target = zhs_locl_target(full), zhs_locl_target(copy)
        assert full_target and copy_target, "no zh-Hans locl form of —"
        em = copy["head"].unitsPerEm
        assert copy["hmtx"][copy_target][0] == full["hmtx"][full_target][0] == em
