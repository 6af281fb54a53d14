"""Reason codes of the accounts app (DESIGN.md section 3, API.md sections 2 and 5)."""

from portal.core.errors import ErrorCode


class AccountsError(ErrorCode):
    # identity numbers
    ID_NUMBER_FORMAT = "id_number_format", "身份证号格式不正确，应为18位，最后一位可以是X"
    ID_NUMBER_CHECKSUM = "id_number_checksum", "身份证号校验位不正确，请核对后重新输入"
    ID_NUMBER_BIRTH_DATE = "id_number_birth_date", "身份证号中的出生日期不存在"
    ID_NUMBER_ADDRESS = "id_number_address", "身份证号前六位不是有效的行政区划代码"
    # other person fields
    NAME_INVALID = "name_invalid", "姓名只能包含汉字、字母、间隔号“·”和空格，最多50个字"
    CARD_NUMBER_FORMAT = "card_number_format", "社会保障卡号应为1个大写字母加8位数字"
    PHONE_FORMAT = "phone_format", "手机号应为11位数字，以1开头"
    REGION_NOT_FOUND = "region_not_found", "统筹区编码不存在"
    PROVINCE_NOT_FOUND = "province_not_found", "省级区划代码不存在"
    REGION_LEVEL_UNKNOWN = "region_level_unknown", "统筹区级别应为 province、prefecture 或 county"
    INSURANCE_TYPE_UNKNOWN = "insurance_type_unknown", "险种应为 employee、resident 或 none"
    STATUS_UNKNOWN = "status_unknown", "参保状态应为 normal、arrears、interrupted 或 terminated"
    BALANCE_NOT_INTEGER = "balance_not_integer", "余额应为整数（单位：分）"
    BALANCE_NEGATIVE = "balance_negative", "余额不能为负数"
    BALANCE_WITHOUT_ACCOUNT = "balance_without_account", "只有职工医保参保人有个人账户余额"
    BALANCE_REQUIRED = "balance_required", "职工医保参保人需要填写个人账户余额（分）"
    BOOLEAN_FORMAT = "boolean_format", "应填写 true/false、1/0 或 yes/no"
    DATE_FORMAT = "date_format", "日期格式应为 YYYY-MM-DD"
    DUPLICATE_ID_NUMBER = "duplicate_id_number", "同一文件中身份证号重复"
    DUPLICATE_CARD_NUMBER = "duplicate_card_number", "社会保障卡号重复"
    DUPLICATE_CODE = "duplicate_code", "同一文件中编码重复"
    INSTITUTION_KIND_UNKNOWN = "institution_kind_unknown", "机构类型应为 hospital 或 pharmacy"
    INSTITUTION_NOT_FOUND = "institution_not_found", "定点机构编码不存在"
    USCC_INVALID = "uscc_invalid", "统一社会信用代码不正确"
    COLUMNS = "columns", "表头与约定的列不一致"
    FIELD_REQUIRED = "field_required", "此项必须填写"
    # registration and sign-in
    IDENTITY_MISMATCH = (
        "identity_mismatch",
        "身份信息与参保登记不一致，请核对身份证号、姓名、社会保障卡号和手机号",
    )
    PHONE_NOT_ON_FILE = (
        "phone_not_on_file",
        "参保登记中没有您的手机号，无法通过短信验证。请携带身份证和社会保障卡到医保经办窗口登记手机号后再注册",
    )
    SMS_CODE_INVALID = "sms_code_invalid", "短信验证码不正确，请核对后重新输入"
    SMS_CODE_EXPIRED = "sms_code_expired", "短信验证码已失效（超过5分钟或输错5次），请重新注册获取新的验证码"
    ALREADY_REGISTERED = "already_registered", "该参保人已注册，请直接登录"
    INVALID_CREDENTIALS = "invalid_credentials", "身份证号、密码或动态验证码不正确"
    LOCKED_OUT = "locked_out", "连续登录失败次数过多，请15分钟后再试"
    OTP_INVALID = "otp_invalid", "动态验证码不正确或已使用过，请等待下一个验证码"
    PASSWORD_INVALID = "password_invalid", "密码不符合要求"
    PASSWORD_MISMATCH = "password_mismatch", "两次输入的密码不一致"
    RESIDENT_ONLY = "resident_only", "此入口仅供参保人使用，工作人员请从柜台或管理后台登录"
    STAFF_ONLY = "staff_only", "此入口仅供定点医院、定点药店和医保经办人员使用，参保人请从首页登录"
    # a resident's sign-in factors: authenticator (TOTP) and passkeys (decision record 0019)
    LAST_FACTOR = (
        "last_factor",
        "这是您唯一的登录验证方式，不能删除。请先添加身份验证器或通行密钥，再删除这一个",
    )
    AUTHENTICATOR_NOT_FOUND = "authenticator_not_found", "您还没有开通身份验证器"
    AUTHENTICATOR_EXISTS = "authenticator_exists", "您已经开通了身份验证器；要换一个，请先删除原来的"
    PASSKEY_NOT_FOUND = "passkey_not_found", "没有找到这个通行密钥，它可能已经删除了"
    PASSKEY_TOO_MANY = "passkey_too_many", "最多可以添加10个通行密钥，请先删除不用的再添加"
    PASSKEY_NOT_YOURS = "passkey_not_yours", "这个通行密钥不属于正在登录的账号，没有登录。请用本人的通行密钥"
    PASSKEY_INVALID = "passkey_invalid", "通行密钥验证没有通过，没有登录。请再试一次，或改用动态验证码"
    PASSKEY_EXPIRED = "passkey_expired", "通行密钥操作已超时，请重新开始"
    PASSKEY_SIGN_IN_EXPIRED = "passkey_sign_in_expired", "登录已超时，请重新输入身份证号和密码"
    # the number on file, changed only by a bureau officer
    PHONE_CHANGE_REASON_REQUIRED = "phone_change_reason_required", "请填写变更手机号的原因"
    PHONE_UNCHANGED = "phone_unchanged", "新手机号与登记的手机号相同"
    # staff
    ROLE_UNKNOWN = "role_unknown", "角色应为 bureau、hospital 或 pharmacy"
    STAFF_PASSWORD_MISSING = "staff_password_missing", "请在环境变量 STAFF_PASSWORD 中提供密码"
    REGION_REQUIRED = "region_required", "医保经办人员需要指定统筹区（--region）"
    INSTITUTION_REQUIRED = "institution_required", "医院和药店工作人员需要指定定点机构（--institution）"
    INSTITUTION_KIND_MISMATCH = "institution_kind_mismatch", "角色与定点机构类型不一致"
    # bulk imports (import_regions, import_institutions, import_persons)
    REGION_CODE_FORMAT = "region_code_format", "统筹区编码应为6位数字"
    REGION_NAME_INVALID = (
        "region_name_invalid",
        "名称不能为空，最多50个字，只能包含汉字、字母、数字、间隔号和括号",
    )
    REGION_PROVINCE_MISMATCH = "region_province_mismatch", "统筹区编码的前两位与省级区划代码不一致"
    INSTITUTION_CODE_FORMAT = "institution_code_format", "机构编码应为1到32位大写字母或数字"
    INSTITUTION_NAME_INVALID = (
        "institution_name_invalid",
        "机构名称不能为空，最多100个字，只能包含汉字、字母、数字、间隔号、括号和连字符",
    )
    IMPORT_CONFLICT = "import_conflict", "导入期间参保人数据被其他操作修改，未导入任何数据，请重新导入"
    # personal account ledger
    INSUFFICIENT_BALANCE = "insufficient_balance", "个人账户余额不足"
    MONTH_FORMAT = "month_format", "月份格式应为 YYYY-MM"
