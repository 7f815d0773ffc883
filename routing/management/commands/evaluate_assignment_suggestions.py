"""Measure the lead-unit suggestions on files: a history to learn from and a test set, or k-fold
cross-validation on the history. The last line is `top-1 NN.N% top-3 NN.N% (N items)`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.datasets import DEFAULT_DUTIES, DataError, load_duties, load_items
from routing.evaluation import cross_validate, evaluate, line, mean
from routing.model import Example, Router


class Command(BaseCommand):
    help = (
        "用历史交办记录和单位职责建立主办单位推荐模型，对测试文件逐条推荐主办单位并输出命中率；"
        "或用 --cross-validate K 在历史文件上做 K 折交叉验证。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history", required=True, help="历史交办记录 CSV（列 title、unit_type）"
        )
        parser.add_argument("--test", help="测试 CSV（列 title、unit_type）")
        parser.add_argument(
            "--duties", default=str(DEFAULT_DUTIES), help="单位职责 CSV（列 unit_type、duties）"
        )
        parser.add_argument(
            "--cross-validate", type=int, metavar="K", help="在历史文件上做 K 折交叉验证"
        )
        parser.add_argument(
            "--duties-only", action="store_true", help="只用单位职责（不用历史记录）推荐"
        )
        parser.add_argument("--seed", type=int, default=0, help="交叉验证分折的随机种子")

    def handle(self, *args: Any, **options: Any) -> None:
        k = options["cross_validate"]
        if options["test"] is None and k is None:
            raise CommandError("请用 --test 指定测试文件，或用 --cross-validate K 做交叉验证。")
        if k is not None and k < 2:
            raise CommandError("--cross-validate 的折数至少为 2。")
        try:
            units = load_duties(options["duties"])
            history = load_items(options["history"], "历史记录", units)
            test = load_items(options["test"], "测试", units) if options["test"] else None
        except DataError as exc:
            raise CommandError(str(exc)) from None
        for name, items in (("历史记录", history), ("测试", test)):
            if items is not None and items.skipped:
                self.stdout.write(
                    f"{name}文件中 {len(items.skipped)} 行的 unit_type 不是职责文件中的单位类型，"
                    f"已跳过：{'、'.join(sorted(set(items.skipped)))}"
                )
        self.stdout.write(f"单位类型 {len(units.duties)} 个，历史记录 {len(history.examples)} 条")
        if k is not None:
            self._cross_validate(history.examples, units.duties, k, options)
            return
        assert test is not None
        if not test.examples:
            raise CommandError("测试文件中没有可评估的记录（需要标题和有效的 unit_type）。")
        train = [] if options["duties_only"] else history.examples
        router = Router().fit(train, units.duties)
        if options["verbosity"] >= 2:
            self._show_misses(router, test.examples)
        self.stdout.write(evaluate(router, test.examples).line())

    def _cross_validate(
        self, examples: list[Example], duties: dict[str, str], k: int, options: Any
    ) -> None:
        if len(examples) < k:
            raise CommandError(f"历史记录只有 {len(examples)} 条，不足以分成 {k} 折。")
        scores = cross_validate(
            examples, duties, k, seed=options["seed"], use_history=not options["duties_only"]
        )
        for i, s in enumerate(scores, start=1):
            self.stdout.write(f"第 {i} 折：{s.line()}")
        top1, top3 = mean(scores)
        n = sum(s.n for s in scores)
        self.stdout.write(f"{k} 折平均：")
        self.stdout.write(line(top1, top3, n))

    def _show_misses(self, router: Router, examples: list[Example]) -> None:
        for e in examples:
            suggestions = router.suggest(e.title, body=e.body, k=3)
            if suggestions and suggestions[0].unit == e.unit:
                continue
            shown = "；".join(f"{s.unit} {s.confidence:.2f}" for s in suggestions)
            self.stdout.write(f"未命中：{e.title}（实际：{e.unit}；推荐：{shown}）")
