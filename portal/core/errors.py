"""One error type for every rule a service enforces: a stable code, a Chinese message, and every
reason that applies. The API's exception handler and the pages render it; nothing else is raised
for a business refusal."""

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        return data


class ErrorCode(StrEnum):
    """Base for each app's error enum: the value is the code, `message` the zh-hans text."""

    _message: str

    def __new__(cls, code: str, message: str) -> "ErrorCode":
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj._message = message
        return obj

    @property
    def message(self) -> str:
        return self._message

    def reason(self, field: str | None = None) -> Reason:
        return Reason(self.value, self._message, field)


# HTTP status per kind of failure (API.md section 1).
INVALID = 400
UNAUTHENTICATED = 401
FORBIDDEN = 403
NOT_FOUND = 404
CONFLICT = 409
REFUSED = 422
THROTTLED = 429

GENERAL_CODES = {
    INVALID: ("invalid_request", "请求内容有误"),
    UNAUTHENTICATED: ("not_authenticated", "请先登录"),
    FORBIDDEN: ("permission_denied", "无权进行此操作"),
    NOT_FOUND: ("not_found", "未找到"),
    CONFLICT: ("conflict", "与现有记录冲突"),
    REFUSED: ("refused", "不符合办理条件"),
    THROTTLED: ("throttled", "操作过于频繁，请稍后再试"),
}


@dataclass
class ApplicationError(Exception):
    """Raised by services. `code` is the specific code when one reason applies, else the status's
    general code; `details` lists every reason."""

    status: int
    details: list[Reason] = field(default_factory=list)
    code: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            if len(self.details) == 1:
                self.code, self.message = self.details[0].code, self.details[0].message
            else:
                self.code, self.message = GENERAL_CODES[self.status]
        elif not self.message:
            self.message = GENERAL_CODES[self.status][1]
        super().__init__(self.code)

    @classmethod
    def of(cls, status: int, *codes: ErrorCode, field: str | None = None) -> "ApplicationError":
        return cls(status, [c.reason(field) for c in codes])

    def as_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, "details": [d.as_dict() for d in self.details]}

    def codes(self) -> list[str]:
        return [d.code for d in self.details]


def reasons_shown(error: ApplicationError) -> list[Reason]:
    """A refusal's reasons in the reader's language, for a page (each message is its own msgid)."""
    from django.utils.translation import gettext

    reasons = error.details or [Reason(error.code, error.message)]
    return [Reason(r.code, gettext(r.message), r.field) for r in reasons]
