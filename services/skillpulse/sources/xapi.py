"""xAPI statements (H5P, Moodle's xAPI log store, any LRS client) → platform events of
the contract, voids, and verbs we do not count.

Statements are checked against the xAPI 1.0.3 data model by ralph-malph's models (the
LRS behind Open edX Aspects), all or nothing as the spec asks of a batch. Then, per
statement (configured in `XapiSettings`):

* a verb of `verbs` on an Activity → a `training` with that status (training_id: the
  activity id), or, for `started` on an activity type of `tool_activity_types`, a
  `tool_use` (`open`) of that tool;
* `voided` (object: a StatementRef) → a void of the referenced event;
* anything else → ignored, counted per verb.

The actor's inverse functional identifier becomes the platform's user id (the Intake
pseudonymises it), the statement id the event id (a resend counts once), `timestamp`
the occurred time (else when the collector received it). Nothing else of a statement
(names, results, context, extensions) goes anywhere.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from pydantic import ValidationError

from skillpulse.collector.intake import Intake
from skillpulse.collector.publisher import BrokerUnavailable
from skillpulse.collector.validation import FieldError, InvalidBody, field_errors, read_json
from skillpulse.config import XapiSettings
from skillpulse.contract import STORE_RANGE_MESSAGE, VoidRecord, in_store_range
from skillpulse.errors import SkillpulseError
from skillpulse.extras import needs_extra

with needs_extra("collector", "the xAPI source"):
    from ralph.models.xapi.base.statements import BaseXapiStatement
    from ralph.models.xapi.base.unnested_objects import BaseXapiActivity, BaseXapiStatementRef

VERSION = "1.0.3"  # the version ralph's models follow; answered in every response
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
_VERSION_HEADER = re.compile(r"^1\.0(\.\d+)?$")  # 1.0 and any 1.0.x (Communication 3.3)
_MAX_ID = 256  # the contract's longest id: longer IRIs are hashed
_MAX_REASON = 200


class InvalidStatements(SkillpulseError, ValueError):
    """The request's statements are refused as a whole (400), with the first reason."""

    def __init__(self, reason: str, message: str, index: int | None = None,
                 errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.reason, self.index, self.errors = reason, index, errors

    def as_json(self) -> dict[str, Any]:
        return {"error": self.reason, "message": str(self), "index": self.index,
                "errors": [vars(error) for error in self.errors]}


class Void(NamedTuple):
    """A voiding statement: its id, the statement it withdraws, who and when."""

    statement_id: uuid.UUID
    voided_id: uuid.UUID
    user_id: str
    occurred_at: datetime


@dataclass
class MappedStatements:
    ids: list[str] = field(default_factory=list)  # every statement's id, in order: the 200 answer
    events: list[dict[str, Any]] = field(default_factory=list)  # platform events, contract shape
    voids: list[Void] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)  # statements not counted, per verb or reason


def version_supported(header: str | None) -> bool:
    return header is not None and _VERSION_HEADER.match(header.strip()) is not None


def parse_statements(body: bytes, *, max_statements: int) -> list[Any]:
    """One statement or an array of them, as JSON values (not yet validated)."""
    try:
        parsed = read_json(body)
    except InvalidBody as exc:
        raise InvalidStatements("invalid_json", str(exc)) from None
    if parsed.ambiguous:  # readers would disagree on what the statement says
        raise InvalidStatements("duplicate_key", "an object of the body names a key twice")
    items = parsed.value if isinstance(parsed.value, list) else [parsed.value]
    if len(items) > max_statements:
        raise InvalidStatements("too_many_statements", f"{len(items)} statements; at most {max_statements}")
    if not items:
        raise InvalidStatements("no_statement", "no statement in the body")
    return items


def validate_statements(items: list[Any]) -> list[BaseXapiStatement]:
    """Every statement of the xAPI data model, or InvalidStatements naming the first bad one."""
    statements, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidStatements("invalid_statement", "a statement must be a JSON object", index)
        try:
            statement = BaseXapiStatement.model_validate(item)
        except ValidationError as exc:
            raise InvalidStatements("invalid_statement", f"statement {index} is not a valid xAPI statement",
                                    index, field_errors(exc, own_messages=False)) from None
        if str(statement.verb.id) == VOIDED and not isinstance(statement.object, BaseXapiStatementRef):
            raise InvalidStatements("invalid_statement", "a voiding statement's object must be a StatementRef",
                                    index, (FieldError("voiding_object", "object", "objectType must be StatementRef"),))
        when = statement.timestamp
        if when is not None and not in_store_range(when if when.tzinfo else when.replace(tzinfo=UTC)):
            raise InvalidStatements("invalid_statement", f"statement {index}'s timestamp is out of the store's range",
                                    index, (FieldError("date_out_of_range", "timestamp", STORE_RANGE_MESSAGE),))
        if statement.id is not None:
            if statement.id in seen:  # Communication 2.1.2: a batch with one id twice is refused
                raise InvalidStatements("duplicate_statement_id", f"statement {index} repeats an id", index)
            seen.add(statement.id)
        statements.append(statement)
    return statements


def _bounded(kind: str, text: str) -> str:
    """`kind:text`, or a hash of it when longer than the contract's ids."""
    value = f"{kind}:{text}"
    return value if len(value) <= _MAX_ID else f"{kind}-sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def actor_user_id(actor: Any) -> str | None:
    """A stable user id from the actor's inverse functional identifier (Data 2.4.2.3);
    None for an anonymous group. An mbox and its mbox_sha1sum give the same id."""
    if getattr(actor, "mbox", None) is not None:
        return "mbox_sha1sum:" + hashlib.sha1(str(actor.mbox.root).encode()).hexdigest()  # the spec's hash
    if getattr(actor, "mbox_sha1sum", None) is not None:
        return "mbox_sha1sum:" + str(actor.mbox_sha1sum)
    if getattr(actor, "openid", None) is not None:
        return _bounded("openid", str(actor.openid))
    if getattr(actor, "account", None) is not None:
        # A space never occurs in an IRI: the two parts cannot run into each other.
        return _bounded("account", f"{actor.account.homePage} {actor.account.name}")
    return None


def _occurred_at(statement: BaseXapiStatement, received_at: datetime) -> str:
    when = statement.timestamp or received_at
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()  # no offset: UTC (Data 2.4.7)


def _activity_type(activity: BaseXapiActivity) -> str | None:
    definition = activity.definition
    return str(definition.type) if definition is not None and definition.type is not None else None


_ASSIGNED_IDS = uuid.UUID("5f1d4d5e-3a52-4b7e-9d1f-0c6a2b9e7a11")  # namespace of the ids this LRS assigns


_ASCII = "".join(map(chr, range(0x21, 0x7F)))


def _id_of(iri: str) -> str:
    return iri if len(iri) <= _MAX_ID else "sha256:" + hashlib.sha256(iri.encode()).hexdigest()


def _tool_id_of(iri: str) -> str:
    # A catalogue id is printable ASCII (the contract): an IRI becomes its URI, non-ASCII
    # characters percent-encoded as UTF-8 (RFC 3987 §3.1).
    return _id_of(quote(iri, safe=_ASCII, errors="surrogatepass"))


def _event(statement: BaseXapiStatement, event_id: uuid.UUID, status: str, user_id: str, settings: XapiSettings,
           received_at: datetime) -> dict[str, Any]:
    activity = statement.object
    assert isinstance(activity, BaseXapiActivity)
    common = {"event_id": str(event_id), "occurred_at": _occurred_at(statement, received_at), "user_id": user_id}
    category = settings.tool_activity_types.get(_activity_type(activity) or "")
    if status == "started" and category is not None:
        return common | {"type": "tool_use", "tool_id": _tool_id_of(str(activity.id)), "tool_category": category,
                         "action": "open"}
    return common | {"type": "training", "training_id": _id_of(str(activity.id)), "status": status}


def map_statements(statements: list[BaseXapiStatement], settings: XapiSettings,
                   received_at: datetime) -> MappedStatements:
    """Platform events, voids and ignored verbs of valid statements; ids assigned where missing."""
    mapped = MappedStatements()
    for statement in statements:
        # None given: the LRS sets one (Data 2.4.1). Derived from the statement itself, so a
        # client that resends it after a lost answer or a 503 is counted once.
        statement_id = statement.id or uuid.uuid5(_ASSIGNED_IDS, statement.model_dump_json(exclude_none=True))
        mapped.ids.append(str(statement_id))
        verb = str(statement.verb.id)
        user_id = actor_user_id(statement.actor)
        if user_id is None:
            mapped.ignored["anonymous_group"] += 1
        elif verb == VOIDED:
            assert isinstance(statement.object, BaseXapiStatementRef)
            mapped.voids.append(Void(statement_id, statement.object.id, user_id,
                                     datetime.fromisoformat(_occurred_at(statement, received_at))))
        elif verb in settings.verbs and isinstance(statement.object, BaseXapiActivity):
            mapped.events.append(_event(statement, statement_id, settings.verbs[verb], user_id, settings,
                                        received_at))
        else:
            mapped.ignored[verb[:_MAX_REASON]] += 1
    return mapped


class _RecordSink(Protocol):
    async def publish(self, records: list[Any]) -> None: ...


async def publish_voids(intake: Intake, platform: str, voids: list[Void], received_at: datetime) -> None:
    """Voids onto the events topic, pseudonymised, once the broker acknowledged them.
    Beside `Intake.publish`, which takes platform events only: a void is a record of its
    own (counted as `voids`)."""
    if not voids:
        return
    records = [VoidRecord(type="void", event_id=void.statement_id, voided_event_id=void.voided_id,
                          occurred_at=void.occurred_at, platform=platform, received_at=received_at,
                          user_key=intake.pseudonymiser.user_key(platform, void.user_id)) for void in voids]
    sink: _RecordSink = intake.publisher  # it sends any record model: model_dump_json and user_key
    try:
        await sink.publish(records)
    except BrokerUnavailable:
        intake.stats.count("refused", platform, "broker_unavailable", len(records))
        raise
    intake.stats.count("voids", platform, "", len(records))
