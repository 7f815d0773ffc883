"""The lead-unit suggestion model (routing.model) and its evaluation command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing.datasets import load_duties, load_items
from routing.model import Example, Router, clean, grams

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "routing"
HISTORY = FIXTURES / "history.csv"
TEST = FIXTURES / "test.csv"
DUTIES = FIXTURES / "duties.csv"
LINE = re.compile(r"^top-1 \d+\.\d% top-3 \d+\.\d% \(\d+ items\)$")


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("evaluate_assignment_suggestions", *args, stdout=out)
    return out.getvalue().splitlines()


# --- the command ------------------------------------------------------------------------------


def test_command_last_line_on_the_fixture() -> None:
    """Five of the six canonical test rows are found first; the sixth (labelled 水利局 though it
    is about buses) is not among the three either. The 数据局 row is not a unit of the fixture's
    duties and is skipped, as is the history's 某某公司 row."""
    lines = run("--history", str(HISTORY), "--test", str(TEST), "--duties", str(DUTIES))
    assert lines[-1] == "top-1 83.3% top-3 83.3% (6 items)"
    assert any("已跳过：数据局" in line for line in lines)
    assert any("已跳过：某某公司" in line for line in lines)


def test_command_shows_misses_when_verbose() -> None:
    lines = run("--history", str(HISTORY), "--test", str(TEST), "--duties", str(DUTIES), "-v", "2")
    assert any(line.startswith("未命中：关于增开城乡公交线路的建议") for line in lines)
    assert lines[-1] == "top-1 83.3% top-3 83.3% (6 items)"


def test_command_cross_validation() -> None:
    lines = run("--history", str(HISTORY), "--duties", str(DUTIES), "--cross-validate", "3")
    assert sum(line.startswith("第 ") for line in lines) == 3
    assert LINE.match(lines[-1])
    assert lines[-1].endswith("(6 items)")


def test_command_duties_only_with_shipped_duties() -> None:
    lines = run("--history", str(HISTORY), "--test", str(TEST), "--duties-only")
    assert LINE.match(lines[-1])
    # with the shipped duties 数据局 is a unit type, so all seven rows count
    assert lines[-1].endswith("(7 items)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--history", "/nonexistent/history.csv", "--test", str(TEST)], "历史记录文件不存在"),
        (["--history", str(HISTORY), "--test", "/nonexistent/test.csv"], "测试文件不存在"),
        (
            ["--history", str(HISTORY), "--test", str(TEST), "--duties", "/nonexistent.csv"],
            "单位职责文件不存在",
        ),
        (["--history", str(HISTORY)], "请用 --test 指定测试文件"),
        (["--history", str(HISTORY), "--cross-validate", "1"], "折数至少为 2"),
        (["--history", str(HISTORY), "--cross-validate", "50"], "不足以分成 50 折"),
    ],
)
def test_command_errors_in_chinese(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_command_wrong_files(tmp_path: Path) -> None:
    no_columns = tmp_path / "columns.csv"
    no_columns.write_text("标题,单位\n关于修路的建议,交通运输局\n", encoding="utf-8")
    with pytest.raises(CommandError, match="历史记录文件缺少列：title、unit_type"):
        run("--history", str(no_columns), "--test", str(TEST))

    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("title,unit_type\n关于修路的建议,交通运输局\n".encode("gbk"))
    with pytest.raises(CommandError, match="不是 UTF-8 编码的 CSV 文件"):
        run("--history", str(HISTORY), "--test", str(gbk))

    binary = tmp_path / "sheet.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00\x00binary")
    with pytest.raises(CommandError, match="不是 CSV 文本文件"):
        run("--history", str(binary), "--test", str(TEST))

    duties = tmp_path / "duties.csv"
    duties.write_text("unit_type,职责\n教育局,学校\n", encoding="utf-8")
    with pytest.raises(CommandError, match="单位职责文件缺少列：duties"):
        run("--history", str(HISTORY), "--test", str(TEST), "--duties", str(duties))

    with pytest.raises(CommandError, match="文件不是普通文件"):
        run("--history", str(tmp_path), "--test", str(TEST))

    empty_test = tmp_path / "empty.csv"
    empty_test.write_text("title,unit_type\n", encoding="utf-8")
    with pytest.raises(CommandError, match="测试文件中没有可评估的记录"):
        run("--history", str(HISTORY), "--test", str(empty_test))


# --- the model --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duties_only() -> Router:
    """The shipped duties and no history: a new deployment."""
    return Router().fit([], load_duties().duties)


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        ("关于新建第三小学教学楼的建议", "教育局"),
        ("关于增加公办幼儿园学位的提案", "教育局"),
        ("关于拓宽改造县道公路的建议", "交通运输局"),
        ("关于硬化进村道路的建议", "交通运输局"),
        ("关于治理东河河道的建议", "水利局"),
        ("关于对病险水库除险加固的建议", "水利局"),
        ("关于建设公益性公墓的建议", "民政局"),
        ("关于加强校园周边食品安全监管的提案", "市场监督管理局"),
    ],
)
def test_duties_only_obvious_titles(duties_only: Router, title: str, unit: str) -> None:
    suggestions = duties_only.suggest(title)
    assert suggestions[0].unit == unit
    assert suggestions[0].duty_phrases  # the reason: the duty phrases the title matched
    assert not suggestions[0].neighbours


def test_suggestions_shape(duties_only: Router) -> None:
    suggestions = duties_only.suggest("关于修建乡村公路桥梁的建议", k=5)
    assert len(suggestions) == 5
    confidences = [s.confidence for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences)
    assert sum(confidences) <= 1.0001
    assert "公路桥梁" in "".join(suggestions[0].duty_phrases)


def test_a_title_matching_nothing_still_gets_units(duties_only: Router) -> None:
    suggestions = duties_only.suggest("关于的建议", k=3)
    assert len(suggestions) == 3


def test_reasons_name_the_similar_earlier_item() -> None:
    units = load_duties(DUTIES)
    history = load_items(HISTORY, "历史记录", units).examples
    router = Router().fit(history, units.duties)
    best = router.suggest("关于搬迁城东殡仪馆的建议")[0]
    assert best.unit == "民政局"
    assert best.neighbours[0].title == "关于搬迁城西殡仪馆的建议"
    assert best.neighbours[0].unit == "民政局"
    assert best.neighbours[0].ref == "history.csv:5"
    assert 0 < best.neighbours[0].similarity <= 1
    assert best.history_share > 0
    # co-handling units are read through the aliases and the place-name suffix rule
    assert next(e for e in history if "殡仪馆" in e.title).co_units == ("卫生健康委员会",)


def test_history_teaches_what_the_duties_do_not_say() -> None:
    """A topic the duties never mention is learnt from the earlier items."""
    duties = {"教育局": "负责学校建设", "交通运输局": "负责公路建设"}
    examples = [
        Example("关于整治校园周边共享单车乱停放的建议", "交通运输局"),
        Example("关于规范共享单车投放的建议", "交通运输局"),
    ]
    assert Router().fit([], duties).suggest("关于治理共享单车的建议")[0].confidence == 0.5
    with_history = Router().fit(examples, duties).suggest("关于治理共享单车的建议")
    assert with_history[0].unit == "交通运输局"
    assert with_history[0].confidence > 0.5


def test_units_only_in_history_are_suggested() -> None:
    router = Router().fit([Example("关于建设村邮站的建议", "邮政管理局")], {"教育局": "负责学校"})
    assert router.units == ["教育局", "邮政管理局"]
    assert router.suggest("关于增设村邮站的建议")[0].unit == "邮政管理局"


def test_cleaning_strips_the_form_of_a_title() -> None:
    assert clean("关于进一步加强我县农村公路养护的建议") == ["农村公路养护"]
    assert clean("关于清理和规范校园APP使用的提案") == ["清理和", "校园", "app", "使用"]
    assert "关于" not in grams("关于修路的建议")
    assert "路" in grams("关于修路的建议")


def test_shipped_duties_cover_the_usual_units() -> None:
    units = load_duties()
    for unit in (
        "教育局",
        "交通运输局",
        "水利局",
        "民政局",
        "文化和旅游局",
        "住房和城乡建设局",
        "城市管理局",
        "农业农村局",
        "卫生健康委员会",
        "乡镇街道",
        "林业和草原局",
        "县区人民政府",
        "公安局",
        "自然资源和规划局",
        "工业和信息化局",
        "国有资产监督管理局",
        "发展和改革委员会",
        "开发区管委会",
        "财政局",
        "房屋管理局",
        "市场监督管理局",
        "商务局",
        "体育局",
        "人力资源和社会保障局",
        "生态环境局",
        "消防救援机构",
        "邮政管理局",
        "科学技术局",
        "应急管理局",
        "医疗保障局",
        "退役军人事务局",
        "数据局",
        "司法局",
        "税务局",
        "供电公司",
    ):
        assert len(units.duties[unit]) >= 50, unit
    assert units.canonical("教体局") == "教育局"
    assert units.canonical("抚顺市民政局") is None
    assert units.canonical("抚顺市民政局", loose=True) == "民政局"
    assert units.canonical("县文旅局", loose=True) == "文化和旅游局"
