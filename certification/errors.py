"""Reason codes of pension qualification certification (DESIGN.md section 9, API.md section 4)."""

from portal.core.errors import ErrorCode


class CertificationError(ErrorCode):
    # channel callbacks (API.md section 4)
    CHANNEL_UNKNOWN = "channel_unknown", "没有这个认证渠道的回调"
    SIGNATURE_INVALID = "signature_invalid", "签名不正确"
    STALE_TIMESTAMP = "stale_timestamp", "时间戳与当前时间相差超过300秒"
    NONCE_INVALID = "nonce_invalid", "随机数应为8到64个字母、数字、下划线或连字符"
    REPLAYED = "replayed", "这个随机数已经用过，请求被视为重放"
    REFERENCE_REUSED = "reference_reused", "同一渠道流水号已用于另一条不同的认证结果"
    BODY_INVALID = "body_invalid", "请求内容不是有效的 JSON 对象"
    REFERENCE_INVALID = "reference_invalid", "渠道流水号应为1到64个字符"
    ID_NUMBER_INVALID = "id_number_invalid", "身份证号格式或校验位不正确"
    RESULT_INVALID = "result_invalid", "认证结果只能是 pass 或 fail"
    METHOD_INVALID = "method_invalid", "认证方式与渠道不符"
    CERTIFIED_AT_INVALID = "certified_at_invalid", "认证时间应为带时区的 ISO 8601 时间，且不晚于当前时间"
    PERSON_NOT_FOUND = "person_not_found", "没有这个身份证号的参保人"
    NOT_PENSIONER = "not_pensioner", "此人不是养老金领取人员，不需要资格认证"
    # offline records, sessions, home visits
    CHANNEL_NOT_OFFLINE = "channel_not_offline", "工作人员只能录入经办窗口、社区或上门认证的结果"
    DOCUMENTS_REQUIRED = "documents_seen_required", "请填写查验过的证件"
    INVALID_TRANSITION = "invalid_transition", "当前状态下不能进行这项操作"
    VISIT_OPEN = "home_visit_open", "已有一个正在办理的上门认证申请"
    VISIT_REASON_UNKNOWN = "home_visit_reason_unknown", "上门认证原因只能是行动不便、长期住院或异地居住"
    VISIT_DOCUMENT_REQUIRED = "home_visit_document_required", "请上传证明材料（如病历、住院证明或居住证明）"
    VISIT_DATE_INVALID = "home_visit_date_invalid", "上门日期不能早于今天"
    VISIT_STAFF_REQUIRED = "home_visit_staff_required", "请选择上门人员"
    UPLOAD_TYPE = "upload_type", "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断）"
    UPLOAD_TOO_LARGE = "upload_too_large", "文件不能超过 5 MB"
    NOT_ALLOWED = "not_allowed", "无权为这位参保人办理"
