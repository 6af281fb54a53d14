"""Reason codes of family service (DESIGN.md section 10)."""

from portal.core.errors import ErrorCode


class DelegationError(ErrorCode):
    SCOPE_UNKNOWN = (
        "scope_unknown",
        "授权范围不存在，只能是 view_rights、certify、transfer_application 或 use_balance",
    )
    SCOPE_REQUIRED = "scope_required", "请至少选择一项授权范围"
    # One answer for "no such person", "the name does not match the card" and "a child under 16 whose
    # registry guardian you are not": a stranger must not learn who is a minor (DESIGN.md section 10).
    PRINCIPAL_NOT_FOUND = (
        "principal_not_found",
        "未找到与该姓名和社会保障卡号相符、可由您申请代办的参保人。为未满16周岁的孩子办理，"
        "须是户籍登记的父母；其他监护人请带证件到医保经办窗口办理",
    )
    DELEGATION_SELF = "delegation_self", "不能为本人办理亲情服务"
    DUPLICATE_DELEGATION = "duplicate_delegation", "您与这位亲属之间已有一个等待确认或已生效的亲情服务授权"
    RELATION_UNKNOWN = "relation_unknown", "关系代码不存在"
    ID_DOCUMENT_REQUIRED = "id_document_required", "请上传委托人的身份证件照片或扫描件"
    FACE_PHOTO_REQUIRED = "face_photo_required", "委托人未满16周岁，请上传其面部照片"
    UPLOAD_TYPE = (
        "upload_type",
        "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断；面部照片只能是 JPEG 或 PNG）",
    )
    UPLOAD_TOO_LARGE = "upload_too_large", "文件不能超过 5 MB"
    CONFIRM_NOT_ALLOWED = "confirm_not_allowed", "只有委托人本人可以确认授权"
    REVOKE_NOT_ALLOWED = (
        "revoke_not_allowed",
        "只有委托人本人可以撤销授权；委托人未满16周岁的，由户籍登记的父母或为其办理的监护人撤销",
    )
    STAFF_NOT_ALLOWED = "not_allowed", "这位委托人不属于您的统筹区"
    REVOKE_REASON_REQUIRED = "revoke_reason_required", "请填写撤销原因"
    PRINCIPAL_NOT_MINOR = (
        "principal_not_minor",
        "这位参保人已满16周岁，须由本人在门户“亲情服务”里确认授权",
    )
    AGENT_NOT_FOUND = "agent_not_found", "未找到这位代办人：代办人须已在门户注册，姓名和社会保障卡号须相符"
    DOCUMENTS_CHECKED_REQUIRED = (
        "documents_checked_required",
        "请填写核验过的证件，例如户口簿、出生医学证明、监护人身份证或法院指定监护的文书",
    )
    INVALID_TRANSITION = "invalid_transition", "当前状态下不能进行这项操作"
    NO_DELEGATION = "no_delegation", "您没有这位亲属已生效的亲情服务授权"
    SCOPE_NOT_GRANTED = "scope_not_granted", "这位亲属没有授权您办理这项业务"
