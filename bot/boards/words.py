"""What a person types about dashboards, read into one typed command.

``/kpi dashboards`` · ``/kpi dashboard new "Team East"`` · ``/kpi pin win rate by rep this
quarter to "Team East"`` · ``/kpi dashboard "Team East" remove 3`` · ``… move 3 to 1`` ·
``… rename "Team West"`` · ``… delete`` · ``/kpi dashboard "Team East" last quarter for 温家豪``.
Chinese: ``大屏列表``, ``新建大屏 "华东"``, ``加到大屏 "华东" 赢单率 按销售 本季度`` (or
``… 加到大屏 "华东"`` after the question), ``大屏 "华东" 删除 3 / 移动 3 到 1 / 改名 "华南"``.

The forms are a table (``EDITS``, ``FORMS``): a new word is a new row, not a new branch.
A name is quoted (``"…"``, ``“…”``, ``「…」``) or, when unquoted, everything up to the edit word.

>>> read('dashboard "Team East" move 3 to 1')
Edit(name='Team East', action='move', args=(3, 1), text='')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIRST_WORDS = frozenset(
    "dashboard dashboards board boards pin 大屏 大屏列表 新建大屏 加到大屏".split()
)
_Q = r"[\"“「『](?P<name>[^\"”」』]+)[\"”」』]"
_NAME = rf"(?:{_Q}|(?P<bare>.+?))"


@dataclass(frozen=True)
class ListBoards:
    pass


@dataclass(frozen=True)
class NewBoard:
    name: str
    personal: bool


@dataclass(frozen=True)
class Pin:
    name: str
    question: str


@dataclass(frozen=True)
class Edit:
    """remove N · move N to M · rename NEW · chart N KIND · delete · show (``text``: window
    and filters; for chart: the kind, then the chart it draws)."""

    name: str
    action: str
    args: tuple[int, ...] = ()
    text: str = ""


Command = ListBoards | NewBoard | Pin | Edit

# (action, pattern after the board's name); the first match wins.
EDITS: tuple[tuple[str, str], ...] = (
    ("remove", r"(?:remove|delete|drop|删除|移除)\s+(?:panel\s+)?#?(\d+)"),
    ("move", r"(?:move|移动)\s+(?:panel\s+)?#?(\d+)\s+(?:to|到)\s+#?(\d+)"),
    (
        "rename",
        rf"(?:rename|改名)\s+(?:to\s+|为\s*)?(?:{_Q.replace('name', 'new')}|(?P<barenew>.+))",
    ),
    ("chart", r"(?:chart|draw|图表)\s+(?:panel\s+)?#?(\d+)\s+(?:as\s+|画成\s*)?(?P<kind>\S+)"),
    ("delete", r"(?:delete|删除)(?:\s+(?:the\s+)?(?:dashboard|board|大屏))?"),
)
# A panel's chart kind in words (``chart 3 table``, ``图表 3 表格``): the query language's kinds
# (charts.choose.pickable()) and auto, as people write them.
KINDS = {
    **{k: k for k in ("auto", "bar", "line", "table", "pie", "kpi", "gauge", "funnel")},
    "bars": "bar",
    "columns": "bar",
    "lines": "line",
    "donut": "pie",
    "card": "kpi",
    "自动": "auto",
    "条形图": "bar",
    "柱状图": "bar",
    "折线图": "line",
    "表格": "table",
    "饼图": "pie",
    "环形图": "pie",
    "指标卡": "kpi",
    "仪表盘": "gauge",
    "漏斗图": "funnel",
}
_PERSONAL = re.compile(r"\s+(?:personal|private|just for me|个人|仅自己)$", re.I)


def _name(m: re.Match[str]) -> str:
    return " ".join((m.group("name") or m.group("bare") or "").split())


def _edit(text: str) -> Edit | None:
    for action, tail in EDITS:
        m = re.fullmatch(rf"{_NAME}\s+{tail}", text, re.I)
        if m is None:
            continue
        if action == "rename":
            new = m.group("new") or m.group("barenew") or ""
            return Edit(_name(m), action, text=" ".join(new.split()).strip('"“”「」'))
        if action == "chart":  # an unknown kind is kept as written: the service says so
            kind = m.group("kind").lower()
            return Edit(_name(m), action, (int(m.group(3)),), text=KINDS.get(kind, kind))
        nums = tuple(int(g) for g in m.groups()[2:] if g and g.isdigit())
        return Edit(_name(m), action, nums)
    return None


def _show(text: str) -> Edit:
    """``"Team East" last quarter`` (quoted: the rest is window and filters) or ``Team East``."""
    m = re.match(rf"{_Q}\s*(?:dashboard|大屏)?\s*(?P<rest>.*)$", text)
    if m:
        return Edit(_name(m), "show", text=m.group("rest").strip())
    return Edit(" ".join(text.split()), "show")


def _pin(text: str) -> Pin | None:
    for pattern in (
        rf"pin\s+(?P<q>.+?)\s+(?:to|on|onto)\s+{_NAME}$",
        rf"加到大屏\s*{_Q}\s*(?P<q>.+)$",
        rf"(?P<q>.+?)\s*加到大屏\s*{_NAME}$",
    ):
        m = re.fullmatch(pattern, text, re.I)
        if m:
            return Pin(_name(m), " ".join(m.group("q").split()))
    return None


def read(text: str) -> Command | None:
    """The dashboard command in ``text`` (a /kpi line), or None when it is not one."""
    text = " ".join(text.split())
    low = text.lower()
    if low in ("dashboards", "boards", "dashboard list", "大屏列表", "大屏"):
        return ListBoards()
    if "加到大屏" in text or low.startswith("pin "):
        return _pin(text)
    m = re.fullmatch(r"(?:dashboard|board)\s+new\s+(?P<rest>.+)|新建大屏\s*(?P<zh>.+)", text, re.I)
    if m:
        rest = m.group("rest") or m.group("zh")
        personal = bool(_PERSONAL.search(rest))
        rest = _PERSONAL.sub("", rest)
        q = re.fullmatch(_Q, rest.strip())
        return NewBoard(" ".join((q.group("name") if q else rest).split()), personal)
    m = re.fullmatch(r"(?:dashboard|board|大屏)\s*(?P<rest>.+)", text, re.I)
    if m:
        rest = m.group("rest")
        return _edit(rest) or _show(rest)
    return None
