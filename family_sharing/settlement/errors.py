"""Reason codes of family settlement and reversal (DESIGN.md section 8, API.md section 3)."""

from portal.core.errors import ErrorCode


class SettlementError(ErrorCode):
    # 400: the request's shape
    AMOUNT_NOT_INTEGER = "amount_not_integer", "金额应为整数，单位是分"
    AMOUNT_NOT_POSITIVE = "amount_not_positive", "金额必须大于0"
    AMOUNT_TOO_LARGE = "amount_too_large", "金额过大，单笔不能超过1000000元"
    CATEGORY_UNKNOWN = "category_unknown", "类别应为 medical_self_pay、pharmacy 或 resident_contribution"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing", "请求头缺少 Idempotency-Key"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid", "Idempotency-Key 应为1到64个可见ASCII字符"
    REVERSAL_REASON_REQUIRED = "reversal_reason_required", "请填写冲正原因"
    # 404
    CARD_NOT_FOUND = "card_not_found", "未找到该社会保障卡"
    # 422: refusals
    BINDING_NOT_ACTIVE = "binding_not_active", "两人之间没有已生效的共济绑定"
    SHARER_NOT_NORMAL = "sharer_not_normal", "共济人参保状态不正常（欠费、中断或终止）时不能共济"
    INSUFFICIENT_BALANCE = "insufficient_balance", "共济人个人账户余额不足"
    BINDING_LIMIT_EXCEEDED = "binding_limit_exceeded", "超过共济人为这位亲属设置的每月限额"
    CATEGORY_NOT_ALLOWED = "category_not_allowed", "本机构不能办理这一类别的共济支付"
    # 409
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", "这个 Idempotency-Key 已用于内容不同的另一笔结算"
    ALREADY_REVERSED = "already_reversed", "这笔共济支付已经冲正过"
