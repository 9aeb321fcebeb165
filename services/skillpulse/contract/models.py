"""The contract's pydantic types: the platform events and the pseudonymous records (see
`skillpulse.contract`)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from skillpulse.contract.vocabulary import SCHEMA_VERSION, LoginMethod, ToolAction, ToolCategory, TrainingStatus

# What the store holds without clamping or wrapping (chDB 26.9, measured): DateTime64(3)
# spans 1900..2299, but `toDate(occurred_at)` (Date: 1970-01-01..2149-06-06) and the TTLs'
# `toDateTime(occurred_at) + INTERVAL 9 YEAR` (DateTime: UInt32 seconds, to 2106-02-07)
# wrap around outside 1970..2106 minus the 9-year retention, so the range is their overlap.
STORE_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
STORE_LATEST = datetime(2097, 1, 1, tzinfo=UTC)  # exclusive
MAX_DURATION_S = 7 * 24 * 3600  # one tool use lasting longer is a client's clock or counter bug

MAX_ID_LENGTH = 256
# For the JSON Schema, the ids once normalised, as far as its regexes can say: the
# validators below refuse every character category of `_REFUSED`, not only these.
IDENTIFIER_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\xad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ue000-\uf8ff\ufeff]+$"
CONTROL_FREE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
CATALOGUE_ID_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
# Unicode categories no id may hold, with the reason given. Cc: NUL, BEL, ESC...; Zl/Zp:
# line breaks; Cf: zero-width and bidi controls (RLO) that make two ids look alike or
# reorder what an operator reads; Cs: lone surrogates (not encodable, so not hashable);
# Co/Cn: private-use and unassigned code points, whose meaning no one agrees on.
_REFUSED = {"Cc": "control_character", "Zl": "control_character", "Zp": "control_character",
            "Cf": "invisible_character", "Cs": "invalid_character", "Co": "invalid_character",
            "Cn": "invalid_character"}
_NAMES = {"Cc": "a control", "Zl": "a line separator", "Zp": "a paragraph separator",
          "Cf": "an invisible (format)", "Cs": "a lone surrogate", "Co": "a private-use", "Cn": "an unassigned"}


def _refuse_characters(value: str, refused: Collection[str] = _REFUSED.keys()) -> None:
    # str.isprintable() is False exactly for categories C* and Z* but the ASCII space: a
    # C-speed pass for the common case, then the offending character is named (its code
    # point and place only, never the text around it).
    if value.isprintable():
        return
    for place, char in enumerate(value):
        category = unicodedata.category(char)
        if category in refused:
            raise PydanticCustomError(
                _REFUSED[category], "holds {what} character ({code}) at position {place}",
                {"what": _NAMES[category], "code": f"U+{ord(char):04X}", "place": place})


def identifier(value: Any) -> Any:
    """A free-text id: NFKC (compatibility forms such as fullwidth letters and NBSP fold to
    their plain form), trimmed, and refused if it holds a character of `_REFUSED`."""
    if not isinstance(value, str):
        return value  # the str validator names the wrong type
    if len(value) > 4 * MAX_ID_LENGTH:  # before normalising, which may expand it (bounded cost)
        raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                  {"max_length": MAX_ID_LENGTH})
    value = unicodedata.normalize("NFKC", value).strip()
    _refuse_characters(value)
    return value


def catalogue_id(value: Any) -> Any:
    """An id of the tool catalogue (`tool_id`, `feature`): an identifier that is printable
    ASCII. Such ids are counted distinct, so a look-alike is a new tool: Cyrillic `а` in
    `cаnva` is as refused as a zero-width space. ASCII rather than a mixed-script rule: a
    whole-script look-alike (`саnvа` in Cyrillic only) passes any mixed-script test, and
    ASCII needs no confusables table. Catalogue ids are slugs and URIs (the xAPI source maps
    an IRI to its URI), so nothing legitimate is lost."""
    value = identifier(value)
    if isinstance(value, str) and not value.isascii():
        place = next(place for place, char in enumerate(value) if not char.isascii())
        raise PydanticCustomError(
            "not_ascii", "a catalogue id is printable ASCII (no look-alike letters); {code} at position {place}",
            {"code": f"U+{ord(value[place]):04X}", "place": place})
    return value


_OPAQUE_REFUSED = frozenset({"Cc", "Cs"})


def opaque_id(value: Any) -> Any:
    """The platform's user id: kept as sent (it is only hashed, and a normalised id would
    give a known user a new pseudonym), but with no control character or lone surrogate."""
    if isinstance(value, str) and len(value) <= MAX_ID_LENGTH:  # longer: string_too_long
        _refuse_characters(value, _OPAQUE_REFUSED)
    return value


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    # Strict mode would refuse JSON strings for datetimes in python-mode validation,
    # and lax mode would accept epoch numbers: insist on RFC 3339 text with an offset.
    if isinstance(value, datetime):
        return value
    message = "must be an RFC 3339 timestamp with an offset, e.g. 2026-03-29T01:30:00+01:00"
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(message)
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:  # its message quotes the input
        raise ValueError(message) from None


STORE_RANGE_MESSAGE = f"must be from {STORE_EARLIEST:%Y-%m-%dT%H:%M:%SZ} and before {STORE_LATEST:%Y-%m-%dT%H:%M:%SZ}"


def in_store_range(when: datetime) -> bool:
    """Whether the store holds `when` (aware) as it is, neither clamped nor wrapped around."""
    return STORE_EARLIEST <= when < STORE_LATEST


def _in_store_range(value: datetime) -> datetime:
    if not in_store_range(value):
        raise PydanticCustomError("date_out_of_range", STORE_RANGE_MESSAGE + " (what the store holds)")
    return value


def _uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError("must be a UUID string") from None


EventId = Annotated[uuid.UUID, BeforeValidator(_uuid)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_store_range)]
# Free-text ids: NFKC-normalised and trimmed; invisible and control characters refused.
Identifier = Annotated[str, Field(
    min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra={"pattern": IDENTIFIER_PATTERN},
    description="NFKC-normalised and trimmed; no control, format (zero-width, bidi), surrogate, private-use or "
                "unassigned character."), BeforeValidator(identifier)]
ALL_ORGANISATIONS = "*"  # the rollups' row for every organisation together (login_day_counts, daily_activity)


def _not_all_organisations(value: str) -> str:
    if value == ALL_ORGANISATIONS:
        raise PydanticCustomError("reserved_organisation", "'*' is reserved: it stands for every organisation")
    return value


OrganisationId = Annotated[Identifier, AfterValidator(_not_all_organisations)]
# Catalogue ids are counted distinct (MC4, the tool catalogue): printable ASCII only, so no
# look-alike (see catalogue_id).
CatalogueId = Annotated[str, Field(
    min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra={"pattern": CATALOGUE_ID_PATTERN},
    description="Printable ASCII after NFKC normalisation and trimming."), BeforeValidator(catalogue_id)]
# The platform's user id is only pseudonymised: kept as sent (normalising would give a
# known user a new pseudonym), but bounded and free of control characters.
UserId = Annotated[str, Field(
    min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra={"pattern": CONTROL_FREE_PATTERN}),
    BeforeValidator(opaque_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Common(_Strict):
    event_id: EventId = Field(description="Chosen by the sender; a resend reuses it.")
    occurred_at: Timestamp = Field(description="When it happened, RFC 3339 with an offset; from 1970-01-01T00:00:00Z "
                                               "and before 2097-01-01T00:00:00Z (what the store holds).")
    organisation_id: OrganisationId | None = None


class _LoginFields(_Common):
    type: Literal["login"]
    method: LoginMethod | None = None


class _ToolUseFields(_Common):
    type: Literal["tool_use"]
    tool_id: CatalogueId
    tool_category: ToolCategory
    action: ToolAction
    feature: CatalogueId | None = None
    duration_s: Annotated[float, Field(ge=0, le=MAX_DURATION_S, allow_inf_nan=False)] | None = None


class _TrainingFields(_Common):
    type: Literal["training"]
    training_id: Identifier
    status: TrainingStatus
    tool_id: CatalogueId | None = None


class _FromPlatform(_Strict):
    user_id: UserId = Field(description="The platform's own user id; never stored.")
    session_id: Identifier | None = None


class LoginEvent(_LoginFields, _FromPlatform):
    """A user connected to a platform (the B2 'connexion')."""


class ToolUseEvent(_ToolUseFields, _FromPlatform):
    """A user used a tool (or one feature of it)."""


class TrainingEvent(_TrainingFields, _FromPlatform):
    """A step of a user's training: enrolled, started, completed, passed or failed."""


PlatformEvent = Annotated[LoginEvent | ToolUseEvent | TrainingEvent, Field(discriminator="type")]


# A keyed hash (HMAC-SHA256, lowercase hex): what the collector's Pseudonymiser gives.
Pseudonym = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Pseudonymous(_Strict):
    schema_version: Literal["v1"] = SCHEMA_VERSION
    platform: Identifier = Field(description="Owner of the API key the event came with.")
    user_key: Pseudonym = Field(description="HMAC-SHA256(secret, platform NUL user_id), hex.")
    received_at: Timestamp


class _PseudonymousSession(_Strict):
    # The collector always hashes the platform's session id (it can embed a user id), so a raw
    # one on the topic came from elsewhere: the record is refused and becomes a dead letter.
    session_id: Pseudonym | None = Field(None, description="HMAC-SHA256(secret, platform NUL session NUL "
                                                            "session_id), hex.")


class LoginRecord(_LoginFields, _PseudonymousSession, _Pseudonymous):
    pass


class ToolUseRecord(_ToolUseFields, _PseudonymousSession, _Pseudonymous):
    pass


class TrainingRecord(_TrainingFields, _PseudonymousSession, _Pseudonymous):
    pass


class VoidRecord(_Pseudonymous):
    """A platform withdrew one of its events (an xAPI `voided` statement): the aggregator
    removes that event from `events` and every figure, and keeps it out if it comes later.
    `user_key` is the voiding actor's pseudonym (it only places the record on a partition)."""

    type: Literal["void"]
    event_id: EventId = Field(description="The voiding statement's own id; a resend is the same void.")
    occurred_at: Timestamp
    voided_event_id: EventId = Field(description="The withdrawn event, of the same platform.")


EventRecord = Annotated[LoginRecord | ToolUseRecord | TrainingRecord | VoidRecord, Field(discriminator="type")]

platform_event_adapter: TypeAdapter[LoginEvent | ToolUseEvent | TrainingEvent] = TypeAdapter(PlatformEvent)
event_record_adapter: TypeAdapter[LoginRecord | ToolUseRecord | TrainingRecord | VoidRecord] = TypeAdapter(
    EventRecord)

_RECORD_FOR: dict[type[BaseModel], type[LoginRecord | ToolUseRecord | TrainingRecord]] = {
    LoginEvent: LoginRecord, ToolUseEvent: ToolUseRecord, TrainingEvent: TrainingRecord}


def to_record(
    event: LoginEvent | ToolUseEvent | TrainingEvent, *, platform: str, user_key: str, received_at: datetime,
    session_key: str | None,
) -> LoginRecord | ToolUseRecord | TrainingRecord:
    """The pseudonymous Kafka record of a validated platform event (drops `user_id`)."""
    fields = event.model_dump(exclude={"user_id"})
    fields["session_id"] = session_key
    return _RECORD_FOR[type(event)](
        **fields, platform=platform, user_key=user_key, received_at=received_at
    )
