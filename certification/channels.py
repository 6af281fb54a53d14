"""The channel registry: settings.CERTIFICATION_CHANNELS names each channel and its kind; online
ones have a secret CERT_CALLBACK_SECRET_<NAME> (settings.CERT_CALLBACK_SECRETS). A new channel is a
settings entry and a secret; the callback view looks channels up here and has no list of its own.
The plain-words explanation of each known channel is here; an unknown one gets a generic sentence."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

ONLINE = "online"
OFFLINE = "offline"

LABELS: dict[str, Any] = {
    "alipay": _("支付宝"),
    "wechat": _("微信"),
    "app": _("掌上12333等手机应用"),
    "mini_program": _("小程序"),
    "bureau": _("社保经办窗口"),
    "community": _("社区服务中心"),
    "home_visit": _("上门认证"),
}
HOW: dict[str, Any] = {
    "alipay": _("打开支付宝，搜索“社保认证”，按提示对着手机眨眨眼，几秒钟就好。"),
    "wechat": _("打开微信，在“城市服务”里找到“社保资格认证”，按提示刷脸。"),
    "app": _("打开“掌上12333”或“国家社会保险公共服务平台”，选“待遇资格认证”，按提示读出屏幕上的数字。"),
    "mini_program": _("在微信或支付宝里打开本地社保小程序，选“资格认证”，按提示刷脸。"),
    "bureau": _("带上身份证或社保卡，到就近的社保经办窗口，工作人员当面核对就行。"),
    "community": _("带上身份证或社保卡，到住处附近的社区服务中心办理。"),
    "home_visit": _("行动不便、长期住院或住在外地的，可以在本页申请工作人员上门认证。"),
}


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    kind: str
    methods: tuple[str, ...]

    @property
    def online(self) -> bool:
        return self.kind == ONLINE

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))

    @property
    def how(self) -> str:
        if self.name in HOW:
            return str(HOW[self.name])
        return str(_("按该渠道的提示完成人脸识别。")) if self.online else str(_("带上身份证到该渠道办理。"))

    def secret(self) -> bytes | None:
        """The callback secret as its UTF-8 bytes (API.md section 7); None for offline channels."""
        value = settings.CERT_CALLBACK_SECRETS.get(self.name)
        return value.encode() if value else None


def channels() -> list[ChannelConfig]:
    return [
        ChannelConfig(
            name=str(c["name"]),
            kind=str(c["kind"]),
            methods=tuple(str(m) for m in c.get("methods", ())),  # type: ignore[attr-defined]
        )
        for c in settings.CERTIFICATION_CHANNELS
    ]


def channel_get(name: str) -> ChannelConfig | None:
    return next((c for c in channels() if c.name == name), None)
