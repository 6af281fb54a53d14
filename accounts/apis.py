"""Resident API of API.md section 2: registration (SMS proof of the phone on file), tokens, SMS sign-in
codes, the caller's own record. Registration, its confirmation, SMS sends and sign-in are rate limited
per identity number, registration or login and per client address (portal.core.ratelimit)."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import tokens_expired_purge
from accounts.backends import axes_username
from accounts.enrolment import registration_confirm, registration_start, resident_sign_in_notify
from accounts.enrolment_models import SMS_CODE_VALID_SECONDS
from accounts.errors import AccountsError
from accounts.identity import normalize_id_number
from accounts.models import AccountEntry, Person, PersonalAccount, User
from accounts.selectors import account_entry_list, account_get_for_person, payments_received_list
from accounts.sms_sign_in import CODE_REQUESTED_MESSAGE, sign_in_channel, sign_in_code_send
from portal.api import Pagination
from portal.core import ratelimit
from portal.core.errors import INVALID, THROTTLED, UNAUTHENTICATED, ApplicationError
from portal.core.time import MONTH_PATTERN, month_parse
from portal.schema import error_responses


def _sms_send_limit(request: Request) -> Callable[[Person], None]:
    """The per-number and per-address limit of SMS sends, counted once a code is about to leave."""

    def hit(person: Person) -> None:
        ratelimit.hit("sms_send", request=request._request, key=f"person:{person.pk}")

    return hit


class RegisterApi(APIView):
    """Real-name registration against an imported person: the three identity fields and the phone on
    file must match; an SMS code goes to that number. Finished by RegisterConfirmApi."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        id_number = serializers.CharField(max_length=32)
        name = serializers.CharField(max_length=50)
        card_number = serializers.CharField(max_length=16)
        phone = serializers.CharField(max_length=20)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        registration_id = serializers.UUIDField()
        sms_sent_to = serializers.CharField(help_text="the number on file, masked (138****0001)")
        expires_in = serializers.IntegerField(help_text="seconds the SMS code stays valid")

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer, **error_responses(400, 409, 429)},
        operation_id="auth_register",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = normalize_id_number(data.validated_data["id_number"])
        ratelimit.hit("register", request=request._request, key=key)
        started = registration_start(**data.validated_data, before_sms=_sms_send_limit(request))
        out = {
            "registration_id": started.registration_id,
            "sms_sent_to": started.sms_sent_to,
            "expires_in": started.expires_in,
        }
        return Response(self.OutputSerializer(out).data, status=status.HTTP_202_ACCEPTED)


class RegisterConfirmApi(APIView):
    """The SMS code finishes registration and returns the authenticator's provisioning URI; the first
    code of that authenticator (auth/token/ or the web page) confirms it."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        registration_id = serializers.CharField(max_length=64)
        sms_code = serializers.CharField(max_length=16)

    class OutputSerializer(serializers.Serializer):
        otp_provisioning_uri = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 409, 429)},
        operation_id="auth_register_confirm",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration_id = data.validated_data["registration_id"].strip()
        ratelimit.hit("sms_code", request=request._request, key=f"registration:{registration_id}")
        registration = registration_confirm(
            registration_id=registration_id, sms_code=data.validated_data["sms_code"]
        )
        return Response(
            self.OutputSerializer({"otp_provisioning_uri": registration.otp_provisioning_uri}).data,
            status=status.HTTP_201_CREATED,
        )


class TokenApi(APIView):
    """Password plus one-time code → an expiring bearer token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        login = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        otp = serializers.CharField(max_length=16)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expires_in = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(401, 429)},
        operation_id="auth_token",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        ratelimit.hit(
            "login",
            request=django_request,
            key=axes_username(django_request, {"username": data.validated_data["login"]}),
        )
        user = authenticate(
            django_request,
            username=data.validated_data["login"],
            password=data.validated_data["password"],
            otp=data.validated_data["otp"],
        )
        if getattr(django_request, "axes_locked_out", False):
            error = ApplicationError.of(THROTTLED, AccountsError.LOCKED_OUT)
            return Response(error.as_dict(), status=THROTTLED, headers={"Retry-After": "900"})
        if user is None:
            raise ApplicationError.of(UNAUTHENTICATED, AccountsError.INVALID_CREDENTIALS)
        resident_sign_in_notify(user=user, channel=sign_in_channel("接口", getattr(user, "otp_device", None)))
        tokens_expired_purge(user=user)
        instance, token = AuthToken.objects.create(user)
        expires_in = int((instance.expiry - instance.created).total_seconds()) if instance.expiry else 0
        return Response(self.OutputSerializer({"token": token, "expires_in": expires_in}).data)


class SmsCodeApi(APIView):
    """A sign-in code by SMS to a resident's number on file, where the region allows SMS sign-in.
    Always 202 with the same body: it never says whether the login exists or whether a code left.
    Counted per login (whatever it names) and per address before anything is looked up, so the
    429 over the limit says nothing either; the device adds one code a minute, silently."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        login = serializers.CharField(max_length=150, help_text="a resident's identity number")

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField(help_text="the same text for every login")
        expires_in = serializers.IntegerField(help_text="seconds a code stays valid")

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer, **error_responses(400, 429)},
        operation_id="auth_sms_code",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        login = data.validated_data["login"]
        key = axes_username(django_request, {"username": login})
        ratelimit.hit("sms_send", request=django_request, key=f"login:{key}")
        sign_in_code_send(login=login)
        out = {"message": CODE_REQUESTED_MESSAGE, "expires_in": SMS_CODE_VALID_SECONDS}
        return Response(self.OutputSerializer(out).data, status=status.HTTP_202_ACCEPTED)


class LogoutApi(APIView):
    """Revokes the token used for this request."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="signed out")}, operation_id="auth_logout"
    )
    def post(self, request: Request) -> Response:
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The caller's own insurance record; numbers only masked."""

    class RegionSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        province_code = serializers.CharField(source="province_id")

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        id_number_masked = serializers.CharField()
        card_number_masked = serializers.CharField()
        sex = serializers.CharField()
        birth_date = serializers.DateField()
        region = serializers.SerializerMethodField()
        insurance_type = serializers.CharField()
        status = serializers.CharField()
        balance_fen = serializers.SerializerMethodField()

        def get_region(self, person: Any) -> dict[str, str]:
            return dict(MeApi.RegionSerializer(person.region).data)

        def get_balance_fen(self, person: Any) -> int | None:
            account = PersonalAccount.objects.filter(person=person).only("balance_fen").first()
            return account.balance_fen if account else None

    @extend_schema(responses={200: OutputSerializer, **error_responses(401, 404)}, operation_id="me")
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if user.person is None:
            raise ApplicationError(404)
        return Response(self.OutputSerializer(user.person).data)


def month_param(value: str | None) -> dt.date | None:
    """`?month=YYYY-MM` -> the month's first day; absent -> None; anything else -> 400 month_format."""
    if not value:
        return None
    month = month_parse(value)
    if month is None:
        raise ApplicationError.of(INVALID, AccountsError.MONTH_FORMAT, field="month")
    return month


class AccountEntrySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField(help_text="credit | own_settlement | family_settlement | reversal")
    amount_fen = serializers.IntegerField(help_text="signed: debits are negative")
    balance_after_fen = serializers.IntegerField()
    beneficiary_name_masked = serializers.SerializerMethodField()
    institution_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_beneficiary_name_masked(self, entry: AccountEntry) -> str | None:
        return entry.beneficiary.name_masked if entry.beneficiary else None

    def get_institution_name(self, entry: AccountEntry) -> str | None:
        return entry.institution.name if entry.institution else None


class ReceivedPaymentSerializer(serializers.Serializer):
    """A payment a relative made for the caller (or its reversal); never the payer's balance."""

    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField(help_text="family_settlement | reversal")
    amount_fen = serializers.SerializerMethodField(help_text="what was paid (or returned), positive")
    sharer_name_masked = serializers.SerializerMethodField()
    institution_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_amount_fen(self, entry: AccountEntry) -> int:
        return abs(entry.amount_fen)

    def get_sharer_name_masked(self, entry: AccountEntry) -> str:
        return entry.account.person.name_masked

    def get_institution_name(self, entry: AccountEntry) -> str | None:
        return entry.institution.name if entry.institution else None


class AccountApi(APIView):
    """The caller's personal account: balance and every ledger entry, newest first, 100 a page;
    `received` adds the latest 100 payments relatives made for the caller (of the month, with
    `month`), also for a caller without a personal account."""

    class OutputSerializer(serializers.Serializer):
        balance_fen = serializers.IntegerField(allow_null=True, help_text="null without a personal account")
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        entries = AccountEntrySerializer(many=True)
        received = ReceivedPaymentSerializer(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month",
                str,
                pattern=MONTH_PATTERN,
                allow_blank=True,
                description="YYYY-MM: only this month's entries (empty: every month)",
            ),
            OpenApiParameter("page", int, description="from 1; a page past the last is 404"),
        ],
        responses={200: OutputSerializer, **error_responses(400, 401, 404)},
        operation_id="account",
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if user.person is None:
            raise ApplicationError(404)
        month = month_param(request.query_params.get("month"))
        account = account_get_for_person(person=user.person)
        paginator = Pagination()
        entries = account_entry_list(person=user.person, month=month)
        page = paginator.paginate_queryset(entries, request, view=self)
        assert page is not None and paginator.page is not None
        out = {
            "balance_fen": account.balance_fen if account else None,
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "entries": page,
            "received": payments_received_list(person=user.person, month=month)[: paginator.page_size],
        }
        return Response(self.OutputSerializer(out).data)
