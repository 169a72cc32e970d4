"""Block Kit payloads for answers, errors, SQL, help and the App Home, as plain dicts.

Pure functions: nothing here talks to Slack, so every payload can be snapshot-tested. Slack's
limits are enforced here (50 blocks a message, 3,000 characters a section, 75 a button label).

>>> text, blocks = answer_message(reply, ButtonState("calls this week", None))
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.backend import Reply
from bot.slack.messages import words_in
from bot.text import display_width, of_base, render_table, table_cells
from charts.labels import unbracketed
from i18n import Language, plural, t
from metrics.answer import Answer
from metrics.catalog import Catalog
from metrics.caveats import PROVISIONAL_MARK, SMALL_MARK
from metrics.errors import Ambiguous, NoData, UnknownWord, UserError
from metrics.format import format_as_of, format_change, format_range, format_value

EN = Language.EN

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_TABLE_ROWS = 25  # beyond this a table stops being readable in a chat; the CSV has them all
MAX_CELL = 32
MAX_SUGGESTIONS = 5

Block = dict[str, Any]


@dataclass(frozen=True)
class Style:
    currency: str = "USD"
    fiscal_start_month: int = 1


@dataclass(frozen=True)
class ButtonState:
    """What a button needs to redo its answer: the question and the pinned today."""

    question: str
    today: date | None
    answer_id: int | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {
            "q": self.question,
            "t": self.today.isoformat() if self.today else None,
        }
        if self.answer_id is not None:
            data["id"] = self.answer_id
        raw = json.dumps(data, ensure_ascii=False)
        if len(raw) > MAX_BUTTON_VALUE:  # an absurdly long question: keep only the reference
            raw = json.dumps({"q": "", "t": data["t"], "id": self.answer_id})
        return raw

    @staticmethod
    def decode(raw: str) -> ButtonState:
        """The state a button carries; ValueError when ``raw`` is not one we wrote."""
        try:
            data = json.loads(raw)
            t, answer_id = data.get("t"), data.get("id")
            if answer_id is not None and not isinstance(answer_id, int):
                raise TypeError("id")
            return ButtonState(
                str(data.get("q", "")), date.fromisoformat(t) if t else None, answer_id
            )
        except (ValueError, TypeError, AttributeError) as e:
            raise ValueError(f"not a kpibot button value ({type(e).__name__})") from None


# ---------- small builders ----------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION)}}


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _clip(t, MAX_SECTION)} for t in texts[:10]],
    }


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        b["style"] = style
    return b


def escape(text: str) -> str:
    """Slack's three control characters; user text must not become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def restated_mrkdwn(restated: str) -> str:
    """``[connect rate] by [weekday] · …`` → ``*connect rate* by *weekday* · …``."""
    return re.sub(r"\[([^\]]+)\]", r"*\1*", escape(restated))


# ---------- values and tables ----------


def _cell_clip(text: str) -> str:
    while display_width(text) > MAX_CELL:
        text = text[:-2] + "…"
    return text


def text_table(answer: Answer, style: Style, max_rows: int = MAX_TABLE_ROWS) -> tuple[str, int]:
    """A monospace table (numbers right-aligned) and how many rows did not fit."""
    header, cells, numeric = table_cells(
        answer, currency=style.currency, fiscal_start_month=style.fiscal_start_month,
        max_rows=max_rows,
    )
    shown = [[_cell_clip(c) for c in row] for row in cells]
    while True:
        table = render_table(header, shown, numeric, separator=False)
        # Leave room for the fences and the "… N more rows" line in the same section.
        if len(table) <= MAX_SECTION - 80 or len(shown) <= 1:
            return table, len(answer.rows) - len(shown)
        shown = shown[: max(1, len(shown) * 3 // 4)]


def table_section(answer: Answer, style: Style) -> Block:
    table, more = text_table(answer, style)
    text = f"```\n{table}\n```"
    if more:
        text += "\n" + plural("text.more_rows_csv", more).say(answer.language)
    return section(text)


def _grouped(answer: Answer) -> bool:
    return any(c.role in ("dimension", "field") for c in answer.columns) or len(answer.rows) != 1


def headline_fields(answer: Answer, style: Style) -> list[str]:
    """One field per KPI of a single-row answer: the value, then growth against the previous."""
    lang = answer.language
    M = words_in(lang)
    row = answer.rows[0]
    out = []
    for i, c in enumerate(answer.columns):
        if c.role != "metric":
            continue
        value = format_value(row[i], c.format, currency=style.currency, lang=lang)
        mark = PROVISIONAL_MARK if answer.provisional(c.metric, 0) else ""
        text = f"*{escape(c.shown)}*\n*{mark}{value}*{escape(of_base(answer, c))}"
        prev = next(
            (
                j
                for j, p in enumerate(answer.columns)
                if p.role == "previous" and p.metric == c.metric
            ),
            None,
        )
        grow = next(
            (
                j
                for j, p in enumerate(answer.columns)
                if p.role == "growth" and p.metric == c.metric
            ),
            None,
        )
        if grow is not None:
            p_val = row[prev] if prev is not None else None
            text += f"  {format_change(row[grow], row[i], p_val, c.format, lang)}"
            text += f" {SMALL_MARK}" if answer.small_change(c.metric, 0) else ""
        if prev is not None:
            then = answer.sides[1] if answer.sides else M.PREVIOUS_SIDE
            was = format_value(row[prev], c.format, currency=style.currency, lang=lang)
            text += f"\n{then}: {was}{escape(of_base(answer, c, previous=True))}"
            if answer.compare_window is not None:
                cw = answer.compare_window
                text += f" ({format_range(cw.start, cw.end, lang)})"
        out.append(text)
    return out[:10]


def _fallback_text(answer: Answer, style: Style) -> str:
    head = unbracketed(answer)
    lang = answer.language
    if not _grouped(answer):
        row = answer.rows[0]
        vals = [
            f"{c.shown} {format_value(row[i], c.format, currency=style.currency, lang=lang)}"
            for i, c in enumerate(answer.columns)
            if c.role == "metric"
        ]
        return f"{head}: " + ", ".join(vals)
    return words_in(lang).ROWS_COUNT.format(head=head, rows=len(answer.rows))


# ---------- messages ----------


def answer_message(
    reply: Reply,
    state: ButtonState,
    *,
    style: Style = Style(),
    asked_by: str | None = None,
    subscribe: bool = False,
    pin: bool = False,
) -> tuple[str, list[Block]]:
    """The answer: restated question with its dates, headline numbers or a table, notes,
    "data as of", and the buttons. Returns (notification text, blocks)."""
    answer = reply.answer
    assert answer is not None
    M = words_in(answer.language)
    blocks: list[Block] = [section(restated_mrkdwn(answer.restated))]
    if _grouped(answer):
        blocks.append(table_section(answer, style))
    else:
        fields = headline_fields(answer, style)
        if fields:
            blocks.append(
                {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}
            )
    notes = [escape(n) for n in (*reply.corrections, *answer.notes, *answer.caveats)]
    if notes:
        blocks.append(context(*notes))
    blocks.append(context(*_footer(answer.data_as_of, asked_by, answer.language)))
    value = state.encode()
    buttons = [
        button(M.BUTTON_SQL, "kpi_sql", value),
        button(M.BUTTON_PREVIOUS, "kpi_previous", value),
        button(M.BUTTON_CSV, "kpi_csv", value),
    ]
    if answer.window is None or answer.window.start is None:
        buttons.pop(1)  # all time has no previous period
    if subscribe:
        buttons.append(button(M.BUTTON_SUBSCRIBE, "kpi_subscribe", value))
    if pin:
        buttons.append(button(M.BUTTON_PIN, "kpi_pin", value))
    blocks.append({"type": "actions", "block_id": "kpi_answer_actions", "elements": buttons})
    return _clip(_fallback_text(answer, style), 3000), blocks[:MAX_BLOCKS]


def _footer(as_of: datetime | None, asked_by: str | None, lang: Language = EN) -> list[str]:
    M = words_in(lang)
    parts = []
    if as_of is not None:
        parts.append(format_as_of(as_of, lang))
    if asked_by:
        parts.append(M.ASKED_BY.format(user=asked_by))
    return parts or [M.DATA_AS_OF.format(when=M.UNKNOWN_TIME)]


PIN_CALLBACK = "kpi_pin_modal"
PIN_BOARD, PIN_NEW, PIN_TITLE = "kpi_pin_board", "kpi_pin_new", "kpi_pin_title"
PIN_CHART = "kpi_pin_chart"


@dataclass(frozen=True)
class PinForm:
    """A submitted pin modal: the question's state, the channel it was opened from, the chosen
    board's id or a new board's name, the panel's title and chart kind (``auto``, or one of
    charts.choose.pickable())."""

    state: ButtonState
    channel: str
    board_id: str
    new: str
    title: str
    chart: str


def _chart_picker(lang: Language = EN) -> Block:
    """Automatic, then every kind a person may ask for (charts.choose.pickable())."""
    from charts.choose import pickable

    options = [
        {"text": {"type": "plain_text", "text": t(lang, f"chart_kind.{kind}")}, "value": kind}
        for kind in ("auto", *pickable())
    ]
    select = {
        "type": "static_select",
        "action_id": PIN_CHART,
        "initial_option": options[0],
        "options": options,
    }
    return _input(PIN_CHART, t(lang, "boards.pin_chart"), select)


MAX_OPTIONS = 100  # a static_select's limit


def _input(block_id: str, label: str, element: Block, optional: bool = True) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": _clip(label, 2000)},
        "element": element,
    }


def pin_modal(
    state: ButtonState, channel: str, boards: list[tuple[str, str]], lang: Language = EN
) -> Block:
    """The "Add to dashboard" modal: pick one of ``boards`` ((id, label) pairs: the person's
    and the channel's) or name a new one, and an optional panel title. The question, its
    pinned today and the channel ride along in ``private_metadata``."""
    M = words_in(lang)
    text_input = {"type": "plain_text_input", "max_length": 60}
    fields: list[Block] = [section(M.PIN_MODAL_INTRO.format(question=escape(state.question)))]
    if boards:
        options = [
            {"text": {"type": "plain_text", "text": _clip(label, 75)}, "value": bid}
            for bid, label in boards[:MAX_OPTIONS]
        ]
        select = {
            "type": "static_select",
            "action_id": PIN_BOARD,
            "placeholder": {"type": "plain_text", "text": M.PIN_PICK_HINT},
            "options": options,
        }
        fields.append(_input(PIN_BOARD, M.PIN_PICK, select))
    fields.append(_input(PIN_NEW, M.PIN_NEW, {**text_input, "action_id": PIN_NEW}))
    fields.append(
        _input(
            PIN_TITLE,
            M.PIN_TITLE,
            {"type": "plain_text_input", "action_id": PIN_TITLE, "max_length": 80},
        )
    )
    fields.append(_chart_picker(lang))
    meta = json.dumps({"s": state.encode(), "c": channel}, ensure_ascii=False)
    return {
        "type": "modal",
        "callback_id": PIN_CALLBACK,
        "title": {"type": "plain_text", "text": M.PIN_MODAL_TITLE},
        "submit": {"type": "plain_text", "text": M.PIN_MODAL_SUBMIT},
        "close": {"type": "plain_text", "text": M.CANCEL},
        "private_metadata": meta[:3000],
        "blocks": fields,
    }


def pin_values(view: dict[str, Any]) -> PinForm:
    """The submitted pin modal; ValueError when the view is not one we opened."""
    try:
        meta = json.loads(view.get("private_metadata") or "")
        state = ButtonState.decode(str(meta["s"]))
        channel = str(meta.get("c") or "")
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"not a kpibot pin modal ({type(e).__name__})") from None
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str:
        v = (values.get(block) or {}).get(block) or {}
        chosen = v.get("selected_option") or {}
        return " ".join(str(chosen.get("value") or v.get("value") or "").split())

    chart = value(PIN_CHART) or "auto"
    return PinForm(state, channel, value(PIN_BOARD), value(PIN_NEW), value(PIN_TITLE), chart)


def dashboard_message(reply: Reply, asked_by: str | None = None) -> tuple[str, list[Block]]:
    M = words_in(reply.language)
    name = reply.dashboard_name
    blocks = [section(M.DASHBOARD_BELOW.format(name=escape(name)))]
    if reply.shown_for:
        said = t(reply.language, "access.shown_for", who=reply.shown_for)
        blocks.append(context(escape(said)))
    if reply.corrections:
        blocks.append(context(*(escape(c) for c in reply.corrections)))
    if asked_by:
        blocks.append(context(M.ASKED_BY.format(user=asked_by)))
    return name, blocks


def suggested_question(question: str, error: UserError, suggestion: str) -> str:
    """A suggestion may be a whole question or a word to put in place of the unknown one."""
    if isinstance(error, UnknownWord) and error.word:
        pattern = re.compile(re.escape(error.word), re.IGNORECASE)
        if pattern.search(question) and len(suggestion.split()) <= 4:
            return pattern.sub(suggestion, question, count=1)
    return suggestion


def error_message(
    question: str, error: UserError, today: date | None, lang: Language = EN
) -> tuple[str, list[Block]]:
    """A user error in words, each suggestion a button that asks it.

    Suggestions for a word we could not place are corrections ("Did you mean:"); for anything
    else they are other questions to try, and a message that already ends by introducing
    them ("… You could ask:") gets no second heading. Everything is said in ``lang``.
    """
    M = words_in(lang)
    head = (M.NO_DATA_HEAD if isinstance(error, NoData) else M.USER_ERROR_HEAD).format(
        question=escape(question)
    )
    message = error.text(lang)
    blocks: list[Block] = [section(f"{head}\n{escape(message)}")]
    suggestions = list(dict.fromkeys(error.suggestions_in(lang)))[:MAX_SUGGESTIONS]
    if suggestions:
        if isinstance(error, UnknownWord | Ambiguous):
            blocks.append(section(M.DID_YOU_MEAN))
        elif not message.rstrip().endswith((":", "：")):
            blocks.append(section(M.TRY_INSTEAD))
        elements = []
        for i, s in enumerate(suggestions):
            q = suggested_question(question, error, s)
            elements.append(button(q, f"kpi_ask_{i}", ButtonState(q, today).encode()))
        blocks.append({"type": "actions", "block_id": "kpi_suggestions", "elements": elements})
    return _clip(M.ERROR_TEXT.format(head=head, message=message), 3000), blocks


def notice(text: str) -> tuple[str, list[Block]]:
    return text, [section(text)]


def sql_blocks(answer: Answer) -> tuple[str, list[Block]]:
    """The SQL in code blocks, split over sections so that none passes 3,000 characters."""
    M = words_in(answer.language)
    intro = M.SQL_INTRO.format(restated=escape(answer.restated.replace("[", "").replace("]", "")))
    blocks = [section(intro)]
    chunk = MAX_SECTION - 20
    lines = answer.sql.splitlines() or [""]
    part: list[str] = []
    size = 0
    for line in lines:
        line = line[:chunk]
        if size + len(line) + 1 > chunk and part:
            blocks.append(section("```\n" + "\n".join(part) + "\n```"))
            part, size = [], 0
        part.append(line)
        size += len(line) + 1
    blocks.append(section("```\n" + "\n".join(part) + "\n```"))
    said = M.SQL_FOR.format(restated=answer.restated.replace("[", "").replace("]", ""))
    return said, blocks[:MAX_BLOCKS]


def _kpi_lines(catalog: Catalog, lang: Language = EN) -> list[str]:
    """Each KPI by its name in ``lang``, with other names to ask it by."""
    lines = []
    for m in catalog.metrics:
        if m.object is not None:
            continue  # a field's measure (docs/field-search.md): the KPIs are the list
        name = m.said(lang)
        also = [s for s in (m.name, *m.synonyms[:2], *m.zh[:1]) if s != name][:3]
        lines.append(f"• *{name}*" + (f" ({', '.join(also)})" if also else ""))
    return lines


def _chunked(lines: list[str], head: str) -> list[Block]:
    out: list[Block] = []
    buf = head
    for line in lines:
        if len(buf) + len(line) + 1 > MAX_SECTION:
            out.append(section(buf))
            buf = line
        else:
            buf += "\n" + line
    out.append(section(buf))
    return out


def help_message(catalog: Catalog, lang: Language = EN) -> tuple[str, list[Block]]:
    M = words_in(lang)
    examples = "\n".join(f"• `{e}`" for e in M.EXAMPLES)
    kpis = _kpi_lines(catalog, lang)
    blocks = [
        section(M.HELP_INTRO),
        section(f"{M.HELP_EXAMPLES_HEAD}\n{examples}"),
        section(M.HELP_PARTS),
        *_chunked(kpis, M.HELP_KPIS_HEAD.format(count=len(kpis))),
    ]
    return M.HELP_TITLE, blocks[:MAX_BLOCKS]


def _question_buttons(questions: Sequence[str], first: int) -> list[Block]:
    """One button per question (each asks it in the DM); action ids from ``first`` on."""
    return [
        button(q, f"kpi_home_ask_{first + i}", ButtonState(q, None).encode())
        for i, q in enumerate(questions[:HOME_QUESTIONS])
    ]


# Questions per row of the App Home (recent, most asked, examples).
HOME_QUESTIONS = 6


HOME_BOARDS = 10  # the user's dashboards listed on the App Home, most recently changed first
HOME_BOARD_BUTTON = "kpi_home_board_{n}"  # its value is the board's id


def _board_buttons(boards: Sequence[tuple[int, str]], lang: Language = EN) -> list[Block]:
    """The user's dashboards, one button each (a click draws it in the DM); or how to make one."""
    if not boards:
        return [section(t(lang, "boards.home_none"))]
    buttons = [
        button(name, HOME_BOARD_BUTTON.format(n=i), str(board_id))
        for i, (board_id, name) in enumerate(boards[:HOME_BOARDS])
    ]
    head = section(t(lang, "boards.home_head"))
    return [head, {"type": "actions", "block_id": "kpi_home_boards", "elements": buttons}]


def home_view(
    catalog: Catalog,
    recent: Sequence[str] = (),
    popular: Sequence[str] = (),
    boards: Sequence[tuple[int, str]] = (),
    lang: Language = EN,
) -> dict[str, Any]:
    """The App Home tab: how to ask, the user's recent and the team's most asked questions and
    example questions (each a button), the user's dashboards (each a button: id, name), and
    the KPI list, in the user's language."""
    M = words_in(lang)
    kpis = _kpi_lines(catalog, lang)
    asked: list[Block] = []
    for head, questions, first, block_id in (
        (M.HOME_RECENT_HEAD, recent, 100, "kpi_home_recent"),
        (M.HOME_POPULAR_HEAD, popular, 200, "kpi_home_popular"),
    ):
        if questions:
            elements = _question_buttons(questions, first)
            asked += [
                section(head),
                {"type": "actions", "block_id": block_id, "elements": elements},
            ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": M.HOME_TITLE}},
        section(M.HELP_INTRO),
        *asked,
        *_board_buttons(boards, lang),
        section(M.HELP_EXAMPLES_HEAD + M.EXAMPLES_CLICK),
        {
            "type": "actions",
            "block_id": "kpi_home_examples",
            "elements": _question_buttons(M.EXAMPLES, 0),
        },
        section(M.HELP_PARTS),
        {"type": "divider"},
        *_chunked(kpis, M.HELP_KPIS_HEAD.format(count=len(kpis))),
    ]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
