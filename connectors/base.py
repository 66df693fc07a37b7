"""The interfaces every connector implements, and the plain records they exchange.

Connectors know nothing of the hub's models: a source yields plain records in
batches, a sink takes plain messages and says what became of each.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple


class ConnectorError(Exception):
    """An external system failed; ``retriable`` says whether trying again may help."""

    retriable: ClassVar[bool] = False


class TransientError(ConnectorError):
    """5xx, 429, timeouts, dropped connections: try again later."""

    retriable = True


class FatalError(ConnectorError):
    """Other 4xx, a wrong signature, an answer that breaks the contract: a person must look."""


class MalformedResponse(FatalError):
    """The answer is not what interfaces.md promises (not JSON, not well-formed XML, no items)."""


class OptionError(FatalError):
    """A connector option the connector cannot use; names the instance and the option."""

    def __init__(self, name: str, option: str, problem: str) -> None:
        self.name, self.option, self.problem = name, option, problem
        super().__init__(f"{name}: option '{option}' {problem}")


def number_option(
    settings: ConnectorSettings,
    key: str,
    default: float,
    kind: type[int] | type[float] = int,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    """Option ``key`` as a number within [low, high]; OptionError naming it otherwise."""
    value = settings.options.get(key, default)
    try:
        if isinstance(value, bool):
            raise TypeError
        number = kind(value)
    except (TypeError, ValueError):
        raise OptionError(
            settings.name, key, f"must be {'an integer' if kind is int else 'a number'}, not {value!r}"
        ) from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else ''}..{high if high is not None else ''}"
        raise OptionError(settings.name, key, f"must be in {bounds}, not {number!r}")
    return number


@dataclass(frozen=True)
class ConnectorSettings:
    """What a connector instance needs, as plain values (built by the hub from its config)."""

    name: str
    kind: str
    url: str
    app_id: str = ""
    app_secret: str = ""
    sign_method: str = "HMAC-SHA256"
    timeout: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print the secret
        return f"ConnectorSettings(name={self.name!r}, kind={self.kind!r}, url={self.url!r})"


class SourceRecord(NamedTuple):
    """One record as a source gave it, mapped to canonical field names.

    ``key`` identifies it within its source (a credit code, a school code, an officer id);
    ``raw`` is the record as received, kept in the quarantine if it fails validation;
    ``error`` is set when the connector itself could not read a field (names the field).
    A named tuple: a sync sends millions of these between processes, and tuples pickle
    at half the cost of dataclass instances.
    """

    key: str
    fields: Mapping[str, Any]
    raw: str
    error: str | None = None
    digest: str | None = None  # what the record says, as the hub digests it (set where it was fetched)


@dataclass
class Batch:
    """Records to apply together, and the bookmark to store in the same transaction."""

    records: list[SourceRecord]
    bookmark: dict[str, Any] | None = None
    complete_snapshot: bool = False  # True on the last batch of a full snapshot
    label: str = ""  # e.g. a file name, for progress and errors
    # A paged source's page fingerprint: a digest of the page's items as sent (and of the options that map
    # them to records), or None. With ``unchanged`` > 0 the page was one the hub holds unchanged (see
    # ``Source.known_page``): ``records`` is then empty and ``unchanged`` says how many records it had.
    page: bytes | None = None
    unchanged: int = 0


ProgressFn = Callable[[str], None]


class Source(abc.ABC):
    """A system the hub pulls records from."""

    kind: ClassVar[str]
    record_type: ClassVar[Literal["entity", "inspector"]] = "entity"
    #: the whole run applies in one transaction (a snapshot feed that is all or nothing)
    atomic: ClassVar[bool] = False

    #: Set by the hub before ``batches``, for a source that fingerprints its pages: asked with a page's
    #: fingerprint and its records' keys, True when the hub holds that page unchanged; the source then
    #: yields the page as ``Batch([], ..., page=fingerprint, unchanged=n)`` without making its records.
    known_page: Callable[[bytes, list[str]], bool] | None = None

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        self.settings = settings
        self.http = http

    @abc.abstractmethod
    def batches(self, state: Mapping[str, Any], full: bool = False) -> Iterator[Batch]:
        """Yield batches from where ``state`` (the last stored bookmark) left off."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message from the outbox: ``key`` is its idempotency key."""

    key: str
    kind: Literal["plan", "task", "draw", "result"]
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Receipt:
    """What a sink said of one message (accepted, duplicate or rejected with its code)."""

    key: str
    status: Literal["accepted", "duplicate", "rejected"]
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    batch_id: str
    receipts: list[Receipt]
    status_code: int | None = None
    answer: str | None = None  # the sink's answer as received (its body), kept for a person


class Sink(abc.ABC):
    """A system the hub pushes messages to."""

    kind: ClassVar[str]
    max_batch: ClassVar[int] = 500

    #: Set by the hub before ``batches``, for a source that fingerprints its pages: asked with a page's
    #: fingerprint and its records' keys, True when the hub holds that page unchanged; the source then
    #: yields the page as ``Batch([], ..., page=fingerprint, unchanged=n)`` without making its records.
    known_page: Callable[[bytes, list[str]], bool] | None = None

    def __init__(self, settings: ConnectorSettings, http: Any = None) -> None:
        self.settings = settings
        self.http = http

    def accepts(self, message: OutgoingMessage) -> bool:
        """Whether this sink takes this message at all (credit-xml: results with a uscc)."""
        return True

    @abc.abstractmethod
    def deliver(self, messages: list[OutgoingMessage], batch_id: str) -> DeliveryReport:
        """Send messages (all of one kind, at most max_batch); raise TransientError to retry all."""
