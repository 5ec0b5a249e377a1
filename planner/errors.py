"""Every exception the planner raises on purpose, in one place (the bottom layer: imports nothing of planner).

Callers (CLI, app) catch `PlannerError` and show its plain-words text; anything else is a bug.
Exit codes of the command line follow the class: input and scenario problems 2, infeasible plans 3.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd


class PlannerError(Exception):
    """Base of every error the planner explains to its user."""

    exit_code = 1


WORDS = {  # (vi, en) words of a problem line
    "sheet": ("trang", "sheet"), "row": ("dòng", "row"), "column": ("cột", "column"), "value": ("giá trị", "value"),
    "expected": ("cần", "expected"), "empty": ("(trống)", "(empty)"),
    "head": ("{n} lỗi trong {source} (chưa ghi tệp nào):", "{n} problem{s} in {source} (nothing was written):"),
    "more": ("... và {n} lỗi khác (InputError.to_frame() liệt kê tất cả)", "... and {n} more (InputError.to_frame() lists them all)"),
    "frame": (("tệp", "trang", "dòng", "cột", "tiêu đề", "giá trị", "cần"),
              ("file", "sheet", "row", "column", "header", "value", "expected")),
}


def _word(key: str, lang: str):
    return WORDS[key][0 if lang == "vi" else 1]


def in_lang(text, lang: str):
    """A text in the reader's language: the Vietnamese form (`.vi`) of a bilingual message when lang is 'vi'."""
    return getattr(text, "vi", text) if lang == "vi" else text


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is (file, sheet, Excel row / CSV line, column), what is there, what was expected.

    `column` is the machine column name (or the header as written when it names no column), `letter` and `header` the
    Excel column letter and the header as the user wrote it, `table` the table the sheet holds. `expected` is English
    and may carry its Vietnamese form in `.vi` (planner.messages.Message); `line(lang)` picks one.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    expected: str
    letter: str | None = None
    header: str | None = None
    table: str | None = None

    def where(self, lang: str = "vi") -> str:
        parts = [Path(self.file).name]
        if self.sheet:
            parts.append(f"{_word('sheet', lang)} {in_lang(self.sheet, lang)}")
        if self.row is not None:
            parts.append(f"{_word('row', lang)} {self.row}")
        column = self.column_shown(lang)
        if column:
            parts.append(f"{_word('column', lang)} {column}")
        return ", ".join(parts)

    def column_shown(self, lang: str = "vi") -> str | None:
        """'D (Giới tính)': the letter and the header as the user sees it; the header alone when it is not in the sheet."""
        header = in_lang(self.header, lang) if self.header else None
        if self.letter and header:
            return f"{self.letter} ({header})"
        return self.letter or header or self.column

    def line(self, lang: str = "vi") -> str:
        where = self.where(lang)
        expected = in_lang(self.expected, lang)
        if self.column is None and self.value is None:  # a whole file or sheet: there is no cell value to show
            return f"{where}: {_word('expected', lang)} {expected}"
        return f"{where}: {_word('value', lang)} {show_value(self.value, lang)}; {_word('expected', lang)} {expected}"


def show_value(value, lang: str = "en") -> str:
    """A cell value as shown in a problem line: '(empty)' for blanks, quoted text, long text cut."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _word("empty", lang)
    text = str(in_lang(value, lang))
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'" if isinstance(value, str) else text


class InputError(PlannerError):
    """The input has problems; `problems` lists all of them (in the order given), `report()` puts them in plain words."""

    exit_code = 2

    def __init__(self, problems: list[Problem], source: str = ""):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in {source}")

    def report(self, max_lines: int | None = 1000, lang: str = "vi") -> str:
        """Readable multi-line report in Vietnamese (lang='en': English): a count, then one line per problem
        (file, sheet, row, column letter and header, value, expected)."""
        n = len(self.problems)
        head = _word("head", lang).format(n=n, s="s" if n != 1 else "", source=self.source)
        shown = self.problems if max_lines is None else self.problems[:max_lines]
        lines = [head] + [f"  {p.line(lang)}" for p in shown]
        if len(shown) < n:
            lines.append("  " + _word("more", lang).format(n=n - len(shown)))
        return "\n".join(lines)

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """All problems as a table, e.g. to save as Excel: machine fields (file, sheet, row, column, value, expected)
        by default; with lang ('vi' or 'en') the columns a user reads (file, sheet, row, column letter, header as
        written, value, expected) with headers and texts in that language."""
        if lang is None:
            frame = pd.DataFrame([asdict(p) for p in self.problems],
                                 columns=["file", "sheet", "row", "column", "value", "expected"])
            frame["row"] = frame["row"].astype("Int64")
            frame["value"] = frame["value"].map(show_value)
            return frame
        rows = [(Path(p.file).name, in_lang(p.sheet, lang) if p.sheet else None, p.row, p.letter,
                 in_lang(p.header, lang) if p.header else p.column, show_value(p.value, lang), str(in_lang(p.expected, lang)))
                for p in self.problems]
        frame = pd.DataFrame(rows, columns=list(_word("frame", lang)))
        frame[_word("frame", lang)[2]] = frame[_word("frame", lang)[2]].astype("Int64")
        return frame


class ScenarioError(PlannerError, ValueError):
    """A scenario file with unknown keys, wrong types or values out of range; `problems` names each key path."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems) or ["invalid scenario"]
        super().__init__(f"{source}: " + "; ".join(self.problems))


class PlanInfeasible(PlannerError):
    """The scenario cannot be met; `lines` say in plain words which limits conflict and by how much."""

    exit_code = 3

    def __init__(self, stage: str, lines: list[str], conflicts: pd.DataFrame | None = None):
        self.stage = stage
        self.lines = lines
        self.conflicts = conflicts if conflicts is not None else pd.DataFrame()
        super().__init__(f"{stage}: " + " ".join(lines))


class PlanInconsistent(PlannerError):
    """The solver's answer broke a constraint when re-checked in Python; the plan is not exported."""

    def __init__(self, stage: str, violations: list[str]):
        self.stage = stage
        self.violations = violations
        super().__init__(f"{stage}: {len(violations)} violated checks: " + "; ".join(violations[:10]))


class SolverFailed(PlannerError, RuntimeError):
    """No solver could solve the model (not an infeasibility: that is a status)."""


class SolveTimeLimit(PlannerError):
    """A solve hit its time limit without a usable answer; `gap` is the last known relative gap (None if unknown)."""

    def __init__(self, stage: str, model: str, seconds: float, gap: float | None = None):
        self.stage, self.model, self.seconds, self.gap = stage, model, seconds, gap
        shown = "unknown" if gap is None else f"{gap:.2%}"
        super().__init__(f"{stage}: the solver reached the time limit ({seconds:g} s) on {model} "
                         f"before a usable plan was found (gap {shown}); raise solver.time_limit_s")


class VocabError(PlannerError, ValueError):
    """A code list (planner/schema/vocab/*.csv) is malformed: missing column, duplicate code, empty label, or a
    role that must be played by exactly one code is not."""


class OutputError(PlannerError, ValueError):
    """The result cannot be written where asked (e.g. it would overwrite the input workbook)."""

    exit_code = 2


class UndeclaredKpi(KeyError):
    """A model reports a KPI key that planner/schema/kpis.csv does not declare (a bug, so not a PlannerError)."""


class KpiDeclarationError(ValueError):
    """planner/schema/kpis.csv is malformed: duplicate key, unknown stage, budget_of or code list, bad placeholder."""


class RegisterError(PlannerError):
    """A request to the plan register (planner.register) that cannot be done; `text(lang)` says why and what to do
    (str() is the Vietnamese text). `name` is the plan, `key` picks the message, `params` fill it."""

    exit_code = 2
    MESSAGES: dict[str, tuple[str, str]] = {}  # key -> (vi, en), placeholders {name} and the params

    def __init__(self, name: str, key: str = "", **params):
        self.name, self.key, self.params = name, key or next(iter(self.MESSAGES)), params
        super().__init__(self.text("vi"))

    def text(self, lang: str = "vi") -> str:
        """The message in `lang`; a param given as a (vi, en) pair is shown in that language too."""
        vi, en = self.MESSAGES[self.key]
        params = {k: (v[1] if lang == "en" else v[0]) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return (en if lang == "en" else vi).format(name=self.name, **params)


class PlanExists(RegisterError):
    """A plan of that name is already saved (and overwriting was not asked)."""

    MESSAGES = {"exists": ("Đã có phương án tên «{name}» (trạng thái {status}); không ghi đè. Hãy chọn tên khác, "
                           "hoặc thêm --overwrite để thay thế phương án cũ.",
                           "A plan named '{name}' is already saved (status {status}); not overwritten. Choose another "
                           "name, or add --overwrite to replace it.")}


class PlanLocked(RegisterError):
    """The plan is approved: read-only, never overwritten, deleted or sent back."""

    MESSAGES = {"locked": ("Phương án «{name}» đã được phê duyệt ({approved_by}, {approved_at}) nên chỉ được xem: "
                           "không ghi đè, sửa hay xoá được. Hãy lưu phương án mới với tên khác.",
                           "The plan '{name}' was approved ({approved_by}, {approved_at}) and is read-only: it cannot "
                           "be overwritten, changed or deleted. Save the new plan under another name.")}


class PlanNotFound(RegisterError):
    """No plan of that name in the register."""

    MESSAGES = {"not_found": ("Không có phương án nào tên «{name}» trong sổ phương án (xem: planner plans list).",
                              "No plan named '{name}' in the register (see: planner plans list).")}


class PlanNameInvalid(RegisterError):
    """An empty, too long or unprintable plan name."""

    MESSAGES = {"invalid_name": ("Tên phương án «{name}» không hợp lệ: cần từ 1 đến {max} ký tự, không có ký tự điều khiển.",
                                 "Invalid plan name '{name}': 1 to {max} characters, no control characters.")}


class RegisterUnavailable(RegisterError):
    """The register database cannot be opened (bad URL, missing driver, server down); `name` is the URL."""

    MESSAGES = {"unavailable": ("Không mở được sổ phương án {name}: {error}", "Cannot open the plan register {name}: {error}")}


class StatusChangeRefused(RegisterError):
    """A status change out of order (draft → reviewed → approved, or reviewed → draft with a reason)."""

    MESSAGES = {
        "approve_needs_review": ("Phương án «{name}» đang là dự thảo: cần rà soát (planner plans review) trước khi phê duyệt.",
                                 "The plan '{name}' is a draft: it must be reviewed (planner plans review) before approval."),
        "already_reviewed": ("Phương án «{name}» đã được rà soát; bước tiếp theo là phê duyệt.",
                             "The plan '{name}' is already reviewed; the next step is approval."),
        "already_draft": ("Phương án «{name}» đang là dự thảo.", "The plan '{name}' is already a draft."),
        "approved_final": ("Phương án «{name}» đã được phê duyệt ({approved_by}, {approved_at}): không thể chuyển lại "
                           "trạng thái. Nếu cần sửa, hãy lưu phương án mới với tên khác.",
                           "The plan '{name}' was approved ({approved_by}, {approved_at}): its status cannot change "
                           "any more. To change it, save a new plan under another name."),
        "reason_required": ("Chuyển phương án «{name}» về dự thảo cần ghi rõ lý do (--reason).",
                            "Sending the plan '{name}' back to draft needs a reason (--reason)."),
        "who_required": ("Cần ghi tên người thực hiện (--by) khi chuyển trạng thái phương án «{name}».",
                         "Say who makes the status change of the plan '{name}' (--by)."),
        "changed_meanwhile": ("Trạng thái phương án «{name}» vừa được người khác thay đổi; hãy xem lại rồi thử lại.",
                              "The status of the plan '{name}' was changed by someone else just now; check and try again."),
        "wrong_status": ("Phương án «{name}» đang ở trạng thái {status}: không thể chuyển như yêu cầu.",
                         "The plan '{name}' is {status}: that status change is not possible."),
    }
