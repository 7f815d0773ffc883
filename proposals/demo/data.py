"""Demo people, units, meetings and items, taken from the real records in samples/.

The sample texts are copied beside this file so that `make run` works without ../shared.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = "demo1234"


def sample_text(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def chaotian_15_body() -> str:
    """The body of 第15号 提案 as recorded in the 朝天区政协 system."""
    lines = sample_text("record-cppcc-chaotian-15-2023.txt").splitlines()
    body: list[str] = []
    for line in lines[4:]:
        if line.startswith("审查结果"):
            break
        if line.strip():
            body.append(line.strip())
    return "\n\n".join(body)


# Demo e-mail addresses are on example domains, never a real mailbox: members at example.org,
# the units, offices and the administrator at example.gov.cn (a government mail server's style).
MEMBER_MAIL_DOMAIN = "example.org"
OFFICE_MAIL_DOMAIN = "example.gov.cn"


def demo_email(username: str, *, member: bool) -> str:
    return f"{username}@{MEMBER_MAIL_DOMAIN if member else OFFICE_MAIL_DOMAIN}"


# (username, full name, body, submitter type, delegation, number prefix, sector, phone)
MEMBERS = [
    ("hehong", "何红", "npc", "deputy", "萧山代表团", "萧山", "", "13805710039"),
    ("wangjianguo", "王建国", "npc", "deputy", "萧山代表团", "萧山", "", "13805710001"),
    ("chenmin", "陈敏", "npc", "deputy", "上城代表团", "上城", "", "13805710002"),
    ("tangyaming", "唐亚明", "npc", "deputy", "荷塘代表团", "荷塘", "", "13907330001"),
    ("wulingyun", "邬凌云", "npc", "deputy", "荷塘代表团", "荷塘", "", "13907330002"),
    ("zhangcihua", "张赐华", "npc", "deputy", "芦淞代表团", "芦淞", "", "13907330003"),
    ("xiaoshan", "萧山代表团", "npc", "delegation", "萧山代表团", "萧山", "", ""),
    ("liuanze", "刘安泽", "cppcc", "cppcc_member", "", "", "社会福利和社会保障界", "13795950015"),
    ("xulijuan", "徐丽娟", "cppcc", "cppcc_member", "", "", "妇联界", "13795950016"),
    ("zhangbigang", "张碧刚", "cppcc", "cppcc_member", "", "", "法律界", "15183580026"),
    ("minjin", "民进朝天区委", "cppcc", "party", "", "", "民进", ""),
]

# (name, short name, document prefix, contact person, contact phone)
UNITS = [
    ("杭州市民政局", "市民政局", "杭民函", "孙华锋", "89586327"),
    ("共青团杭州市委员会", "团市委", "杭团函", "", ""),
    ("杭州市财政局", "市财政局", "杭财函", "", ""),
    ("中共杭州市委宣传部", "市委宣传部", "杭宣函", "", ""),
    ("株洲市民政局", "株洲市民政局", "株民复字", "", ""),
    ("广元市朝天区民政局", "区民政局", "朝民函", "贺威", "13795952836"),
    ("广元市朝天区教育和科学技术局", "区教科局", "朝教函", "", ""),
    ("广元市朝天区司法局", "区司法局", "朝司函", "", ""),
    ("广元市公安局朝天区分局", "区公安分局", "朝公函", "", ""),
    ("广元市朝天区妇女联合会", "区妇联", "朝妇函", "", ""),
]

# What a unit's letters carry besides the default, as in its real letters: 株洲市民政局's reply
# of 2020 prints 承办负责人, 承办人 and 联系电话 after the date
UNIT_LETTER_PARTS: dict[str, dict[str, str]] = {
    "株洲市民政局": {
        "document_number_format": "株民复字〔{year}〕{n}号",
        "letter_lead_person": "易湘东",
        "letter_contact_style": "handler",
    },
}

# (username, full name, role, unit name or "", supervisor scope)
STAFF = [
    ("mzj_staff", "李文静", "unit_staff", "杭州市民政局", ""),
    ("mzj_leader", "周建华", "unit_leader", "杭州市民政局", ""),
    ("tsw_staff", "赵晓燕", "unit_staff", "共青团杭州市委员会", ""),
    ("tsw_leader", "郑国栋", "unit_leader", "共青团杭州市委员会", ""),
    ("czj_staff", "钱立新", "unit_staff", "杭州市财政局", ""),
    ("czj_leader", "冯志明", "unit_leader", "杭州市财政局", ""),
    ("xcb_staff", "孙雅琴", "unit_staff", "中共杭州市委宣传部", ""),
    ("xcb_leader", "蒋文华", "unit_leader", "中共杭州市委宣传部", ""),
    ("zzmz_staff", "周仁辉", "unit_staff", "株洲市民政局", ""),
    ("zzmz_leader", "易湘东", "unit_leader", "株洲市民政局", ""),
    ("ctmz_staff", "贺威", "unit_staff", "广元市朝天区民政局", ""),
    ("ctmz_leader", "杨金军", "unit_leader", "广元市朝天区民政局", ""),
    ("ctjk_staff", "罗晓梅", "unit_staff", "广元市朝天区教育和科学技术局", ""),
    ("ctjk_leader", "曾庆华", "unit_leader", "广元市朝天区教育和科学技术局", ""),
    ("npc_office", "人大代表工作委员会", "supervisor", "", "npc"),
    ("cppcc_office", "政协提案委员会", "supervisor", "", "cppcc"),
    ("gov_office", "政府督查室", "supervisor", "", "all"),
]

CATEGORIES = {
    "npc": {
        "经济建设": ["工业和信息化", "财政金融", "农业农村"],
        "城乡建设": ["城市管理", "交通运输", "生态环境"],
        "社会事业": ["民政", "教育", "卫生健康", "人力社保"],
        "政治法律": ["公安司法", "政府建设"],
    },
    "cppcc": {
        "经济": ["产业发展", "营商环境"],
        "社会事业": ["民政", "教育", "医疗卫生"],
        "文化": ["文化旅游", "宣传"],
        "生态环境": ["环境保护", "城乡建设"],
    },
}

HANGZHOU_39_BODY = """近年来，我市未成年人保护工作取得了明显成效，但社会组织参与未成年人保护的广度和深度还不够，专业社会组织数量偏少、服务能力参差不齐，政府购买服务的范围和标准有待明确。

一是加大政策扶持。建议在公益创投、政府购买服务中单列未成年人保护服务项目，明确资助标准，引导更多社会组织从事未成年人保护工作。

二是打造服务品牌。建议培育一批专业化、品牌化的未成年人保护社会组织，推广萧山等地的好做法，提升社会组织开展未成年人服务的能力。

三是建强服务平台。建议支持社会组织承接未成年人保护机构和服务站点的运营，健全政府主导、社会参与的定期协商机制。

四是加强宣传引导。建议加大对社会组织参与未成年人保护典型经验的宣传，营造全社会关心关爱未成年人的良好氛围。"""

ZHUZHOU_1230_BODY = """当前我市城乡困难群众帮扶工作存在部门各自为战、帮扶资源分散、社会力量参与不足等问题，帮困工作缺乏长效机制。

一、建立政府购买服务的扶持制度，将困难群众的照料护理、心理疏导、能力提升等服务纳入政府购买服务目录。

二、加强对社会组织及社工的培育，加强志愿者服务体系建设，形成政府救助与社会帮扶有机结合的工作格局。

三、建立困难群众动态监测和信息共享机制，做到早发现、早介入、早帮扶。"""

WANYUAN_026_BODY = """未成年人法律保护是未成年人保护工作的重要内容。目前我市专业化的未成年人保护社会组织较少，法治宣传教育、司法保护社会支持体系还不健全。

一、引入专业化社会组织，通过政府购买服务参与未成年人法律援助、社会调查、心理疏导等工作。

二、建立行业服务规范、准入机制和退出机制，加强对参与未成年人保护的社会组织的监管和评估。

三、加强法治副校长和校园法治教育，预防未成年人违法犯罪。"""

CURRENT_ITEMS = [
    # (lead username, title, category path, body, status)
    (
        "wangjianguo",
        "关于加快推进社区嵌入式养老服务设施建设的建议",
        ("社会事业", "民政"),
        "我市老龄化程度不断加深，社区养老服务设施布局不均衡，部分老旧小区缺少嵌入式养老服务场所。\n\n"
        "一是将社区嵌入式养老服务设施纳入城市更新规划；二是盘活闲置用房用于养老服务；三是完善运营补贴政策。",
        "submitted",
    ),
    (
        "chenmin",
        "关于扩大普惠托育服务供给的建议",
        ("社会事业", "卫生健康"),
        "婴幼儿照护服务是重要的民生工程。目前我市普惠托育机构数量不足、收费偏高，家长“送托难、送托贵”问题突出。\n\n"
        "建议加大普惠托育机构建设补贴，支持用人单位办托，推进托育一体化建设，完善托育从业人员培训体系。",
        "submitted",
    ),
]

CHAOTIAN_EDUCATION_OPINION = """区教科局会办意见：

一、配齐配强学校心理健康教师，鼓励在编教师参加心理咨询师培训考证，逐步建立有资质的心理健康服务队伍。

二、落实法治副校长制度，每学期开展法治教育和防欺凌、防性侵教育活动。

三、推进家长学校建设，面向家长开展家庭教育宣传和指导。"""


def _lines(name: str) -> list[str]:
    return [line.strip() for line in sample_text(name).splitlines() if line.strip()]


def _between(lines: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next(i for i, line in enumerate(lines) if line.startswith(end) and i > first)
    return lines[first:last]


def sample_replies() -> dict[str, dict[str, Any]]:
    """The three sample letters, cut into the parts of a reply (punctuation as in the source;
    the seed fixes it)."""
    hangzhou = _lines("reply-npc-hangzhou-civil-affairs-2023.txt")
    zhuzhou = _lines("reply-npc-zhuzhou-1230-2020.txt")
    chaotian = _lines("record-cppcc-chaotian-15-2023.txt")
    chaotian_reply = _between(chaotian, "尊敬的刘安泽", "此复")
    return {
        "关于引导社会组织参与未成年人保护的建议": {
            "salutation": "何红代表:",
            "opening": _between(hangzhou, "您在市十四届", "近年来")[0],
            "body": _between(hangzhou, "近年来", "真诚感谢"),
            "thanks": next(line for line in hangzhou if line.startswith("真诚感谢")),
            "signed_on": date(2023, 6, 12),
            "contact_person": "孙华锋",
            "contact_phone": "89586327",
            "result_class": "A",
        },
        "关于建立城乡帮困工作长效机制的建议": {
            "salutation": "唐亚明、邬凌云、张赐华代表:",
            "opening": "您" + _between(zhuzhou, "提出的《关于建立城乡", "一、我市")[0],
            "body": _between(zhuzhou, "一、我市", "承办负责人"),
            "thanks": "",
            "signed_on": date(2020, 7, 13),
            "contact_person": "周仁辉",
            "contact_phone": "28685502",
            "result_class": "A",
        },
        "关于加强全区未成年人关爱保护工作的建议": {
            "salutation": chaotian_reply[0],
            "opening": chaotian_reply[1],
            "body": chaotian_reply[2:],
            "thanks": "此复。",
            "signed_on": date(2023, 10, 11),
            "contact_person": "贺威",
            "contact_phone": "13795952836",
            "result_class": "A",
        },
    }
