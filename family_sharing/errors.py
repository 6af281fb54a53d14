"""Reason codes of family sharing (DESIGN.md section 6, API.md sections 2 and 3)."""

from portal.core.errors import ErrorCode


class SharingError(ErrorCode):
    # eligibility (DESIGN.md section 6): all that apply are returned
    SELF_BINDING = "self_binding", "不能与本人绑定"
    SHARER_NOT_FOUND = "sharer_not_found", "未找到共济人的参保信息"
    BENEFICIARY_NOT_FOUND = "beneficiary_not_found", "未找到与该身份证号和姓名相符的参保人"
    SHARER_NO_PERSONAL_ACCOUNT = (
        "sharer_no_personal_account",
        "只有参加职工医保并有个人账户的人才能共济给亲属",
    )
    SHARER_NOT_NORMAL = "sharer_not_normal", "共济人参保状态不正常（欠费、中断或终止）时不能共济"
    BENEFICIARY_NOT_INSURED = "beneficiary_not_insured", "被共济的亲属需要参加职工医保或城乡居民医保"
    NOT_NEAR_RELATIVE = (
        "not_near_relative",
        "只有近亲属（配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女）可以共济",
    )
    RELATION_OUT_OF_POLICY_SCOPE = (
        "relation_out_of_policy_scope",
        "您所在统筹区目前的政策不允许与这类亲属共济",
    )
    RELATION_MISMATCH = "relation_mismatch", "申报的关系与户籍登记、性别或年龄不符"
    RELATION_UNVERIFIED = (
        "relation_unverified",
        "户籍登记中暂未查到这层关系，请上传户口本、结婚证或出生医学证明",
    )
    CROSS_PROVINCE_NOT_ENABLED = "cross_province_not_enabled", "双方所在统筹区尚未全部开通跨省共济"
    DUPLICATE_BINDING = "duplicate_binding", "你们之间已有一个正在办理或已生效的共济绑定"
    # input shape
    RELATION_CODE_UNKNOWN = "relation_code_unknown", "关系代码不存在"
    AS_OF_FORMAT = "as_of_format", "日期格式应为 YYYY-MM-DD"
    # lifecycle
    INVALID_TRANSITION = "invalid_transition", "当前状态下不能进行这项操作"
    BENEFICIARY_DECLINED = "beneficiary_declined", "亲属不同意共济"
    BENEFICIARY_LEFT = "beneficiary_left", "被共济人已退出共济"
    REVOKED_BY_SHARER = "revoked_by_sharer", "共济人已解除绑定"
    SHARER_STATUS_CHANGED = "sharer_status_changed", "共济人参保状态不正常，绑定暂停"
    SHARER_STATUS_RESTORED = "sharer_status_restored", "共济人参保状态恢复正常"
    PERSON_TERMINATED = "person_terminated", "一方参保关系终止，绑定结束"
    REGISTRY_EDGE_ENDED = "registry_edge_ended", "户籍登记显示这层关系已结束（如离婚），绑定暂停"
    EVIDENCE_APPROVED = "evidence_approved", "证明材料审核通过"
    EVIDENCE_REJECTED = "evidence_rejected", "证明材料审核未通过"
    # maker-checker on registry edges (DESIGN.md section 6)
    EDGE_INVALID = "edge_invalid", "亲属关系登记不符合要求"
    REGISTRY_VERIFIED = "registry_verified", "已通过户籍登记核验"
    CONSENT_NOT_ALLOWED = "consent_not_allowed", "只有被共济的亲属本人（未满16周岁的由其监护人）可以确认"
    # re-consent at 16 (DESIGN.md section 6; family_sharing/reconsent/)
    RECONSENT_REQUIRED = (
        "reconsent_required",
        "被共济人已年满16周岁，需要本人确认是否继续共济；本人确认前暂停支付",
    )
    RECONSENT_CONFIRMED = "reconsent_confirmed", "被共济人年满16周岁后，本人确认继续共济"
    RECONSENT_DECLINED = "reconsent_declined", "被共济人年满16周岁后，本人不同意继续共济"
    RECONSENT_NOT_ALLOWED = (
        "reconsent_not_allowed",
        "只有被共济人本人可以确认是否继续共济，共济人或监护人不能代为确认",
    )
    RECONSENT_NOT_PENDING = "reconsent_not_pending", "这项共济现在没有等待本人确认的事项"
    # evidence upload
    EVIDENCE_TYPE = "evidence_type", "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断）"
    EVIDENCE_TOO_LARGE = "evidence_too_large", "文件不能超过 5 MB"
    EVIDENCE_NOT_NEEDED = "evidence_not_needed", "这个绑定现在不需要补充材料"
    EVIDENCE_TOO_MANY = "evidence_too_many", "每个绑定最多上传10份证明材料，已达到上限"
    # monthly limit
    LIMIT_INVALID = "limit_invalid", "每月限额应为不小于0的整数（单位：分），或留空表示不限"
    # throttling
    LOOKUP_THROTTLED = "lookup_throttled", "查询亲属信息失败次数过多，请一小时后再试"
    # counter
    COUNTER_BINDING_NOT_ALLOWED = (
        "counter_binding_not_allowed",
        "共济绑定在医保经办窗口或医院医保办办理，定点药店不能办理",
    )
    CARD_NOT_FOUND = "card_not_found", "未找到该社会保障卡"
    # import_kinship (API.md section 5)
    EDGE_KIND_UNKNOWN = "edge_kind_unknown", "关系类型应为 spouse（配偶）或 parent（父母子女）"
    PARENT_KIND_UNKNOWN = (
        "parent_kind_unknown",
        "亲子关系类型应为 birth、adoptive、step_supported 或 step",
    )
    PARENT_KIND_NOT_FOR_SPOUSE = (
        "parent_kind_not_for_spouse",
        "配偶关系不填写亲子关系类型（parent_kind 应为空）",
    )
    EDGE_SELF = "edge_self", "关系双方是同一个人"
    EDGE_DATES_ORDER = "edge_dates_order", "终止日期不能早于起始日期"
    DUPLICATE_EDGE = "duplicate_edge", "同一文件中这条亲属关系重复"
    PERSON_NOT_FOUND = "person_not_found", "身份证号对应的参保人尚未导入"
    # set_policy, enable_cross_province
    POLICY_SCOPE_UNKNOWN = "policy_scope_unknown", "共济范围应为 self_only、core_family 或 near_relatives"
