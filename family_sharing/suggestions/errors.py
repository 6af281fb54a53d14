"""Reason codes of suggested relatives (API.md section 2: `suggestion_id`)."""

from portal.core.errors import ErrorCode


class SuggestionError(ErrorCode):
    SUGGESTION_NOT_FOUND = (
        "suggestion_not_found",
        "没有找到这位推荐的亲属，请回到“家庭共济”页面重新选择",
    )
    SUGGESTION_EXPIRED = "suggestion_expired", "这条推荐已过期，请回到“家庭共济”页面重新选择"
    SUGGESTION_WITH_NUMBER = (
        "suggestion_with_number",
        "按推荐绑定时只提交 suggestion_id，不再填写身份证号、姓名、关系或日期",
    )
