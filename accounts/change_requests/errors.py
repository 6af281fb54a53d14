"""Reason codes of change requests (maker-checker, DESIGN.md section 6)."""

from portal.core.errors import ErrorCode


class ChangeRequestError(ErrorCode):
    NOT_AN_OFFICER = "not_an_officer", "只有医保经办人员可以提交或复核变更"
    OTHER_REGION = "other_region", "该变更不属于您所在的统筹区"
    OWN_REQUEST = "own_request", "不能复核自己提交的变更，须由另一位经办人复核"
    ALREADY_DECIDED = "already_decided", "该变更申请已经处理过，不能再次复核"
    ALREADY_PENDING = "change_pending", "该记录已有一项同类变更待复核，请先复核或驳回那一项"
    REASON_REQUIRED = "change_reason_required", "请填写变更原因"
    NOTHING_CHANGED = "nothing_changed", "提交的内容与现有记录相同，没有需要变更的内容"
    TARGET_CHANGED = "target_changed", "提交之后该记录已被修改，此申请不能再生效，请驳回后重新提交"
