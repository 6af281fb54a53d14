"""Reason codes of contributions, the arrears sweep and employer arrears cases (DESIGN.md section 7,
API.md section 5)."""

from portal.core.errors import ErrorCode


class ContributionError(ErrorCode):
    # import_contributions (API.md section 5); identity-number and USCC codes are accounts' own
    EMPLOYER_NAME_INVALID = "employer_name_invalid", "单位名称不能为空，且不超过100个字"
    EMPLOYER_NAME_CONFLICT = "employer_name_conflict", "同一文件中同一统一社会信用代码对应了不同的单位名称"
    PERIOD_FORMAT = "period_format", "费款所属期格式应为 YYYY-MM"
    PERIOD_IN_FUTURE = "period_in_future", "费款所属期不能晚于本月"
    AMOUNT_FORMAT = "amount_format", "金额应为整数（单位：分）"
    AMOUNT_NEGATIVE = "amount_negative", "金额不能为负数"
    PAID_ABOVE_DUE = "paid_above_due", "实缴金额不能大于应缴金额"
    DUE_DATE_BEFORE_PERIOD = "due_date_before_period", "缴费截止日期不能早于费款所属期的第一天"
    PERSON_NOT_FOUND = "person_not_found", "身份证号对应的参保人尚未导入"
    DUPLICATE_ROW = "duplicate_row", "同一文件中同一单位、同一人、同一所属期的记录重复"
    # sweep_arrears
    AS_OF_FORMAT = "as_of_format", "日期格式应为 YYYY-MM-DD"
    # employer arrears cases (社会保险法 第63条)
    NO_UNPAID_CONTRIBUTIONS = "no_unpaid_contributions", "该单位在本统筹区没有逾期未缴足的社会保险费"
    CASE_ALREADY_OPEN = "case_already_open", "该单位在本统筹区已有一个未结案的欠费案件"
    INVALID_TRANSITION = "invalid_transition", "案件当前所处环节不能办理这一步"
    CASE_NOT_PAID = "case_not_paid", "欠费尚未缴清，不能结案"
    DEADLINE_REQUIRED = "deadline_required", "责令限期缴纳须填写缴纳期限"
    DEADLINE_BEFORE_STEP = "deadline_before_step", "缴纳期限不能早于办理日期"
    STEP_DATE_IN_FUTURE = "step_date_in_future", "办理日期不能晚于今天"
    STEP_DATE_BEFORE_PREVIOUS = "step_date_before_previous", "办理日期不能早于上一步的日期"
    DOCUMENT_TYPE = "document_type", "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断）"
    DOCUMENT_TOO_LARGE = "document_too_large", "文件不能超过 5 MB"
    REGION_NOT_ALLOWED = "region_not_allowed", "只能办理本统筹区的案件"
