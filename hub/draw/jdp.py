"""JDP-2 and JDP-1, the Joint Draw Protocol (draw-protocol.md), to the byte. Standard library only.

This one file is also published as the standalone verifier, so anyone can recompute a draw:
    python3 jdp.py verify RECORD --roster R --pool Q            (add --plain to use only part 2 below)
    python3 jdp.py draw --plan P --roster R --pool Q --reveal PARTY=HEX ... --out RECORD

How to read it:
  1. §1 and §2: the files, the plan, commitments and the seed (short, plain code).
  2. THE PLAIN READING of §3 and §4: the protocol sentence by sentence, slow and obvious. It is the
     reference: `verify --plain` and `draw --plain` use it and nothing of part 3.
  3. FAST PATHS: the same §3 and §4 computed quickly (whole columns at once, one span of the roster per
     process, a priority queue per agency). The hub's tests hold part 3 equal to part 2 on random draws.
  4. The record (§5), verification and the command line.
A record says which protocol made it ("JDP-2", or "JDP-1" for earlier draws, §7); any other is refused.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
import mmap
import multiprocessing
import operator
import re
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain, compress, count, islice, repeat
from pathlib import Path
from typing import Any, NamedTuple

PROTOCOL = "JDP-2"  # what new draws use
PROTOCOLS = ("JDP-2", "JDP-1")  # what this file draws and verifies (§7: JDP-1 records stay verifiable)
HASH_NAMES = ("sha256", "sm3")
RECORD_MEMBERS = (
    "protocol",
    "plan",
    "plan_digest",
    "roster_digest",
    "roster_size",
    "strata",
    "pool_digest",
    "pool_size",
    "commitments",
    "reveals",
    "entropy",
    "seed",
    "selections",
)
LF = b"\n"
_CHUNK_BYTES = 1 << 21  # ~45,000 roster lines per unit of work and per progress report: two workers end together


class RosterEntry(NamedTuple):
    entity_id: str
    stratum: str
    weight: int
    district: str  # 6 digits or "-"


class PoolEntry(NamedTuple):
    inspector_id: str
    agency: str
    expertise: tuple[str, ...]
    home_districts: tuple[str, ...]
    capacity: int
    avoid: tuple[str, ...]


class JDPError(ValueError):
    """Input or record refused by JDP; the message names the file, line or field."""


class UnknownProtocol(JDPError):
    """A plan or record names a protocol this file does not implement: refused outright, never guessed."""

    def __init__(self, protocol: object, where: str = "protocol") -> None:
        self.protocol = protocol
        super().__init__(
            f"{where}: {protocol!r} is not a protocol this verifier knows ({', '.join(PROTOCOLS)}); refused"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnknownProtocol, (self.protocol,))


class InfeasibleDraw(JDPError):
    """JDP §4: a team slot has no candidate, so the whole draw fails."""

    def __init__(self, entity_id: str, agency: str) -> None:
        self.entity_id = entity_id
        self.agency = agency
        super().__init__(f"no candidate from agency {agency!r} for entity {entity_id!r} (JDP §4)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (InfeasibleDraw, (self.entity_id, self.agency))


# ================================================================ PART 1: FILES, PLAN, COMMITMENTS, SEED (§1, §2)

# ---------------------------------------------------------------- hashing (§2 and the preamble)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a draw makes millions of small tuples and lists but no cycles, and
    each collection they trigger would walk the caller's whole heap (seconds when it holds a 1M-entity roster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _constructor(hash_name: str, short: bool = False) -> Callable[[bytes], Any]:
    """A C-level `H(data)` object constructor; `short` prefers the one fastest on one-block inputs."""
    if hash_name == "sha256":
        if short:
            for module in ("_sha2", "_sha256"):  # builtin SHA-256: cheaper setup than OpenSSL's EVP
                try:
                    return __import__(module).sha256
                except (ImportError, AttributeError):
                    pass
        return hashlib.sha256
    if hash_name == "sm3":
        try:
            import _hashlib

            new: Callable[..., Any] = _hashlib.new
        except ImportError:
            new = hashlib.new
        try:
            new("sm3", b"")
        except ValueError:
            raise JDPError("hash 'sm3' is not available in this Python's OpenSSL") from None
        return partial(new, "sm3")
    raise JDPError(f"plan.hash: {hash_name!r} is not one of {', '.join(HASH_NAMES)}")


def _digest_method(new: Callable[[bytes], Any]) -> Callable[[Any], bytes]:
    return type(new(b"")).digest


_U64 = operator.itemgetter(slice(0, 8))  # u64(b): the first 8 digest bytes; bytes order == big-endian order


def hexdigest(data: bytes, hash_name: str) -> str:
    """Lower-case hex `H(data)`."""
    return _constructor(hash_name)(data).hexdigest()


def canonical_plan(plan: dict) -> bytes:
    """JDP §1: the bytes `plan_digest` covers (RFC 8785 for the value types allowed)."""
    _check_json_values(plan, "plan")
    return json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def check_protocol(protocol: object, where: str = "protocol") -> str:
    """The protocol name if this file implements it; UnknownProtocol naming it otherwise."""
    if protocol not in PROTOCOLS:
        raise UnknownProtocol(protocol, where)
    return str(protocol)


def commitment(party: str, secret_hex: str, hash_name: str, protocol: str = PROTOCOL) -> str:
    """JDP §2: `H("JDP-2 commit" LF || party_id "=" secret_hex)` in hex ("JDP-1 commit" for JDP-1, §7)."""
    check_protocol(protocol)
    _check_party(party)
    _check_secret(party, secret_hex)
    return hexdigest(f"{protocol} commit\n{party}={secret_hex}".encode(), hash_name)


def compute_seed(
    plan_digest: str,
    roster_digest: str,
    pool_digest: str,
    reveals: dict,
    entropy: str,
    hash_name: str,
    protocol: str = PROTOCOL,
) -> bytes:
    """JDP §2: the 32-byte seed from the three digests, every reveal and the entropy ("JDP-1 seed" for JDP-1)."""
    check_protocol(protocol)
    _check_entropy(entropy)
    parts = [
        f"{protocol} seed\n".encode(),
        b"plan:%s\n" % plan_digest.encode(),
        b"roster:%s\n" % roster_digest.encode(),
        b"pool:%s\n" % pool_digest.encode(),
    ]
    for party in sorted(reveals, key=lambda p: p.encode("utf-8")):
        _check_party(party)
        _check_secret(party, reveals[party])
        parts.append(b"party:%s=%s\n" % (party.encode("utf-8"), reveals[party].encode()))
    parts.append(b"entropy:%s\n" % entropy.encode("utf-8"))
    return _constructor(hash_name)(b"".join(parts)).digest()


def _check_party(party: object) -> None:
    if not isinstance(party, str) or not party or "\n" in party or "=" in party:
        raise JDPError(f"party id {party!r} must be a non-empty string without LF or '='")


_SECRET_RE = re.compile(r"(?:[0-9a-f]{2}){16,}")


def _check_secret(party: str, secret_hex: object) -> None:
    if not isinstance(secret_hex, str) or not _SECRET_RE.fullmatch(secret_hex):
        raise JDPError(f"reveals.{party}: secret must be at least 16 bytes as lower-case hex")


def _check_entropy(entropy: object) -> None:
    if not isinstance(entropy, str) or "\n" in entropy:
        raise JDPError("entropy must be a string without LF (JDP §2)")


def _reveal_problems(commitments: dict, reveals: dict, hash_name: str, protocol: str) -> list[str]:
    if not isinstance(commitments, dict) or not isinstance(reveals, dict):
        return ["commitments and reveals must be objects {party: hex}"]
    problems = []
    for party in sorted(set(commitments) | set(reveals)):
        if party not in reveals:
            problems.append(f"reveals.{party}: party committed but did not reveal")
        elif party not in commitments:
            problems.append(f"reveals.{party}: party revealed without a commitment")
        else:
            try:
                if commitment(party, reveals[party], hash_name, protocol) != commitments[party]:
                    problems.append(f"reveals.{party}: secret does not match the party's commitment")
            except JDPError as exc:
                problems.append(str(exc))
    return problems


def check_reveals(commitments: dict, reveals: dict, hash_name: str, protocol: str = PROTOCOL) -> None:
    """JDP §2: every committed party revealed, and every reveal matches its commitment."""
    problems = _reveal_problems(commitments, reveals, hash_name, protocol)
    if problems:
        raise JDPError(problems[0])


# ---------------------------------------------------------------- plan (JDP §1)


def _check_json_values(value: object, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or (where == "plan" and not key.isascii()):  # members: ASCII keys
                raise JDPError(f"{where}: key {key!r} must be {'an ASCII' if where == 'plan' else 'a'} string")
            _check_json_values(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json_values(item, f"{where}[{i}]")
    elif not isinstance(value, (str, int)):  # bool is an int
        raise JDPError(
            f"{where}: {type(value).__name__} is not allowed (strings, integers, booleans, arrays, objects only)"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_plan_shape(plan: object) -> None:
    """Everything of JDP §1's plan that can be checked without the roster."""
    if not isinstance(plan, dict):
        raise JDPError("plan must be a JSON object")
    _check_json_values(plan, "plan")
    for member in ("protocol", "task_id", "hash", "quotas", "team", "avoid_home_district"):
        if member not in plan:
            raise JDPError(f"plan.{member} is missing")
    check_protocol(plan["protocol"], "plan.protocol")
    if not isinstance(plan["task_id"], str) or not plan["task_id"]:
        raise JDPError("plan.task_id must be a non-empty string")
    if plan["hash"] not in HASH_NAMES:
        raise JDPError(f"plan.hash must be one of {', '.join(HASH_NAMES)}")
    if not isinstance(plan["avoid_home_district"], bool):
        raise JDPError("plan.avoid_home_district must be true or false")
    if not isinstance(plan["quotas"], dict):
        raise JDPError("plan.quotas must be an object {stratum: quota}")
    for stratum, quota in plan["quotas"].items():
        if not stratum or "\t" in stratum or "\n" in stratum:
            raise JDPError(f"plan.quotas: {stratum!r} is not a valid stratum label")
        if not _is_int(quota) or quota < 0:
            raise JDPError(f"plan.quotas.{stratum}: quota must be an integer >= 0")
    if not isinstance(plan["team"], list):
        raise JDPError("plan.team must be an array")
    for i, entry in enumerate(plan["team"]):
        where = f"plan.team[{i}]"
        if not isinstance(entry, dict) or not {"agency", "size", "expertise"} <= entry.keys():
            raise JDPError(f"{where} must be an object with agency, size and expertise")
        agency, size, expertise = entry["agency"], entry["size"], entry["expertise"]
        if not isinstance(agency, str) or not agency or "\t" in agency or "\n" in agency:
            raise JDPError(f"{where}.agency must be a non-empty string without TAB or LF")
        if not _is_int(size) or size < 1:
            raise JDPError(f"{where}.size must be an integer >= 1")
        if not isinstance(expertise, list) or not all(
            isinstance(tag, str) and _TAG_RE.fullmatch(tag.encode("utf-8")) for tag in expertise
        ):
            raise JDPError(f"{where}.expertise must be an array of tags (no TAB, LF or comma)")


def check_plan(plan: dict, strata_sizes: dict[str, int]) -> None:
    """JDP §1: raise JDPError unless `plan` is a valid plan for a roster with these strata."""
    _check_plan_shape(plan)
    quotas = plan["quotas"]
    for stratum, size in strata_sizes.items():
        if stratum not in quotas:
            raise JDPError(f"plan.quotas does not name stratum {stratum!r}")
        if quotas[stratum] > size:
            raise JDPError(f"plan.quotas.{stratum}: quota {quotas[stratum]} exceeds the stratum's size {size}")
    for stratum, quota in quotas.items():
        if stratum not in strata_sizes and quota > 0:
            raise JDPError(f"plan.quotas.{stratum}: quota {quota} for a stratum the roster does not have")


# ---------------------------------------------------------------- roster and pool files (JDP §1)

_NOT_SEPARATOR = bytes(b for b in range(256) if b not in b"\t\n")  # deleting these leaves the TABs and LFs
_WEIGHTS = frozenset(b"%d" % w for w in range(1, 101))
_WEIGHT_RE = re.compile(rb"100|[1-9][0-9]?")
_DISTRICT_RE = re.compile(rb"[0-9]{6}|-")
_ID_RE = re.compile(rb"[^\t\n, ]+")
_TAG_RE = re.compile(rb"[^\t\n,]+")
_CAPACITY_RE = re.compile(rb"10000|[1-9][0-9]{0,3}")
_HOME_RE = re.compile(rb"[0-9]{6}")


def _roster_line_problem(line: bytes) -> str:
    """What is wrong with one roster line, or "" when nothing is."""
    fields = line.split(b"\t")
    if len(fields) != 4:
        return f"expected 4 TAB-separated fields, found {len(fields)}"
    entity_id, stratum, weight, district = fields
    if not _ID_RE.fullmatch(entity_id):
        return f"entity_id {entity_id!r} is empty or contains a comma or space"
    if not stratum:
        return "stratum is empty"
    if not _WEIGHT_RE.fullmatch(weight):
        return f"weight {weight!r} is not an integer 1-100 without leading zeros"
    if not _DISTRICT_RE.fullmatch(district):
        return f"district {district!r} is neither 6 digits nor '-'"
    return ""


def _check_ascending(ids: list[bytes], first_line: int, where: str, field: str) -> None:
    if all(map(operator.lt, ids, islice(ids, 1, None))):
        return
    for i in range(1, len(ids)):
        if not ids[i - 1] < ids[i]:
            how = "duplicate" if ids[i - 1] == ids[i] else "out of byte order"
            raise JDPError(f"{where} line {first_line + i}: {field} {ids[i].decode('utf-8', 'replace')!r} is {how}")


def _roster_columns(chunk: bytes, first_line: int) -> tuple[list[bytes], ...]:
    """Validate whole roster lines (JDP §1) and split them into id, stratum, weight, district columns.

    The checks run over whole columns in C (separators, sets of weights and districts); only a failure
    walks the lines one by one to name the first bad one.
    """
    separators = chunk.translate(None, _NOT_SEPARATOR)
    fields = chunk.replace(b"\t", b"\n").split(b"\n")
    fields.pop()
    ids, strata, weights, districts = fields[0::4], fields[1::4], fields[2::4], fields[3::4]
    if not (
        separators == b"\t\t\t\n" * (len(separators) // 4)
        and all(ids)
        and all(strata)
        and _WEIGHTS.issuperset(weights)
        and all(map(_DISTRICT_RE.fullmatch, set(districts)))
        and not _has_comma_or_space(b"".join(ids))
    ):
        _raise_first_bad_line(chunk, first_line)
    if not chunk.isascii():
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_no = first_line + chunk.count(b"\n", 0, exc.start)
            raise JDPError(f"roster line {line_no}: not valid UTF-8") from None
    _check_ascending(ids, first_line, "roster", "entity_id")
    return ids, strata, weights, districts


def _has_comma_or_space(data: bytes) -> bool:
    return b"," in data or b" " in data


def _raise_first_bad_line(chunk: bytes, first_line: int) -> None:
    lines = chunk.split(b"\n")
    for line_no, line in enumerate(lines, start=first_line):
        if line_no < first_line + len(lines) - 1:
            problem = _roster_line_problem(line)
        else:
            problem = "line does not end in LF" if line else ""
        if problem:
            raise JDPError(f"roster line {line_no}: {problem}")
    raise JDPError(f"roster line {first_line}: not a valid roster")  # unreachable: some line above is bad


def _chunks(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """Split `data` at line ends into (start, end, first line number) pieces of about _CHUNK_BYTES; count lines."""
    pieces, start, line, size = [], 0, 1, _CHUNK_BYTES
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data)) - 1)
        end = len(data) if end < 0 else end + 1
        pieces.append((start, end, line))
        line += data[start:end].count(LF)
        start = end
    return pieces, line - 1


def _roster_pieces(data: bytes) -> Iterator[tuple[list[bytes], ...]]:
    """The roster's columns piece by piece, every JDP §1 rule checked, including order across pieces."""
    last = b""
    for start, end, first_line in _chunks(data)[0]:
        columns = _roster_columns(data[start:end], first_line)
        if last and columns[0] and not last < columns[0][0]:
            _check_ascending([last, columns[0][0]], first_line - 1, "roster", "entity_id")
        last = columns[0][-1] if columns[0] else last
        yield columns


def parse_roster(data: bytes) -> list[RosterEntry]:
    """JDP §1: the roster file's entries; JDPError names the first bad line."""
    entries: list[RosterEntry] = []
    text = partial(str, encoding="utf-8")
    with _gc_paused():
        for ids, strata, weights, districts in _roster_pieces(data):
            rows = zip(map(text, ids), map(text, strata), map(int, weights), map(text, districts))
            entries.extend(map(tuple.__new__, repeat(RosterEntry), rows))  # skips NamedTuple's __new__
    return entries


def format_roster(entries: Iterable[RosterEntry]) -> bytes:
    """JDP §1: the exact roster file bytes, lines sorted by entity_id; JDPError if an entry is invalid."""
    with _gc_paused():
        ordered = sorted(entries, key=operator.itemgetter(0))  # code point order == UTF-8 byte order
        columns = [list(map(operator.itemgetter(c), ordered)) for c in range(4)]
        plain = bool(ordered) and _plainly_valid(*columns)  # every field a str but the weight, an int 1-100
        try:
            if plain:
                ids, strata, weights, districts = columns
                rows = zip(ids, strata, map(_WEIGHT_TEXT.__getitem__, weights), districts)
                text = "\n".join(map("\t".join, rows)) + "\n"
            else:
                text = "".join(map("%s\t%s\t%s\t%s\n".__mod__, ordered))
            data = text.encode("utf-8")
        except (TypeError, UnicodeEncodeError) as exc:
            raise JDPError(f"roster entry cannot be written: {exc}") from None
        if not plain:
            for _ in _roster_pieces(data):  # the exact check, naming the first bad line
                pass
    return data


_WEIGHT_INTS = frozenset(range(1, 101))
_WEIGHT_TEXT = [str(w) for w in range(101)]
_DISTRICT_TEXT_RE = re.compile(r"[0-9]{6}|-", re.ASCII)


def _plainly_valid(ids: list, strata: list, weights: list, districts: list) -> bool:
    """True when the sorted entries, as columns, obviously make a valid roster (§1), checked column by
    column in C; False sends the written bytes through the line-by-line check, which decides."""
    try:
        id_text, strata_text = "".join(ids), "".join(strata)
    except TypeError:
        return False
    return (
        all(ids)
        and all(strata)
        and not any(c in id_text for c in "\t\n, ")
        and "\t" not in strata_text
        and "\n" not in strata_text
        and _WEIGHT_INTS.issuperset(weights)
        and set(map(type, weights)) <= {int}
        and set(map(type, districts)) <= {str}
        and all(map(_DISTRICT_TEXT_RE.fullmatch, set(districts)))
        and all(map(operator.lt, ids, islice(ids, 1, None)))
    )


def _pool_list(field: bytes, pattern: re.Pattern[bytes], line_no: int, name: str) -> tuple[str, ...]:
    if field == b"-":
        return ()
    items = field.split(b",")
    for item in items:
        if not pattern.fullmatch(item) or item == b"-":
            raise JDPError(f"pool line {line_no}: {name} item {item!r} is not valid")
    if not all(map(operator.lt, items, items[1:])):
        raise JDPError(f"pool line {line_no}: {name} must be sorted as raw bytes without repeats")
    return tuple(item.decode("utf-8") for item in items)


def parse_pool(data: bytes) -> list[PoolEntry]:
    """JDP §1: the pool file's inspectors; JDPError names the first bad line."""
    if data and not data.endswith(b"\n"):
        raise JDPError(f"pool line {data.count(LF) + 1}: line does not end in LF")
    entries, last = [], b""
    for line_no, line in enumerate(data.split(b"\n")[:-1], start=1):
        fields = line.split(b"\t")
        if len(fields) != 6:
            raise JDPError(f"pool line {line_no}: expected 6 TAB-separated fields, found {len(fields)}")
        inspector_id, agency, expertise, home, capacity, avoid = fields
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            raise JDPError(f"pool line {line_no}: not valid UTF-8") from None
        if not _ID_RE.fullmatch(inspector_id):
            raise JDPError(f"pool line {line_no}: inspector_id {inspector_id!r} is empty or has a comma or space")
        if not inspector_id > last:
            how = "duplicate" if inspector_id == last else "out of byte order"
            raise JDPError(f"pool line {line_no}: inspector_id {inspector_id.decode()!r} is {how}")
        if not agency:
            raise JDPError(f"pool line {line_no}: agency is empty")
        if not _CAPACITY_RE.fullmatch(capacity):
            raise JDPError(f"pool line {line_no}: capacity {capacity!r} is not an integer 1-10000")
        entries.append(
            PoolEntry(
                inspector_id.decode(),
                agency.decode(),
                _pool_list(expertise, _TAG_RE, line_no, "expertise"),
                _pool_list(home, _HOME_RE, line_no, "home_districts"),
                int(capacity),
                _pool_list(avoid, _ID_RE, line_no, "avoid"),
            )
        )
        last = inspector_id
    return entries


def format_pool(entries: Iterable[PoolEntry]) -> bytes:
    """JDP §1: the exact pool file bytes, lines and lists sorted; JDPError if an entry is invalid."""

    def listed(items: Iterable[str]) -> str:
        return ",".join(sorted(items)) or "-"

    lines = [
        f"{e.inspector_id}\t{e.agency}\t{listed(e.expertise)}\t{listed(e.home_districts)}\t"
        f"{e.capacity}\t{listed(e.avoid)}\n"
        for e in sorted(entries, key=operator.itemgetter(0))
    ]
    try:
        data = "".join(lines).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JDPError(f"pool entry cannot be written: {exc}") from None
    parse_pool(data)
    return data


# ================================================================ PART 2: THE PLAIN READING (§3, §4)
# The protocol as written, one sentence at a time, with nothing clever: this is the reference the fast
# paths below are held to. It is slow on big rosters (§4 looks at every candidate for every slot).


def u64(data: bytes, hash_name: str) -> int:
    """The first 8 bytes of H(data), read as a big-endian unsigned integer."""
    return int.from_bytes(_constructor(hash_name)(data).digest()[:8], "big")


def plain_key(seed: bytes, entity_id: str, weight: int, hash_name: str) -> int:
    """§3: key(e) = min over t = 1..w of ticket(e, t) = u64(seed || "E" || entity_id || LF || decimal(t))."""
    return min(
        u64(seed + b"E" + entity_id.encode("utf-8") + b"\n" + str(t).encode(), hash_name) for t in range(1, weight + 1)
    )


def plain_select(
    roster: list[RosterEntry], quotas: dict[str, int], seed: bytes, hash_name: str
) -> list[tuple[int, RosterEntry]]:
    """§3: per stratum, the first quota entities by (key, entity_id bytes); all of them in draw order."""
    keyed = [(plain_key(seed, e.entity_id, e.weight, hash_name), e.entity_id.encode("utf-8"), e) for e in roster]
    selected = []
    for stratum, quota in quotas.items():
        in_stratum = sorted(item for item in keyed if item[2].stratum == stratum)
        selected += in_stratum[:quota]
    selected.sort()  # the draw order: (key, entity_id bytes)
    return [(key, entity) for key, _, entity in selected]


def plain_rank(protocol: str, seed: bytes, inspector: PoolEntry, load: int, entity: RosterEntry, hash_name: str) -> int:
    """§4: JDP-2 ranks an inspector by its load, rank(i, l) = u64(seed || "I" || inspector_id || LF || l);
    JDP-1 (§7) by the entity, u64(seed || "I" || entity_id || LF || inspector_id)."""
    if protocol == "JDP-1":
        return u64(seed + b"I" + entity.entity_id.encode("utf-8") + b"\n" + inspector.inspector_id.encode(), hash_name)
    return u64(seed + b"I" + inspector.inspector_id.encode("utf-8") + b"\n" + str(load).encode(), hash_name)


def plain_teams(
    plan: dict, selected: list[tuple[int, RosterEntry]], pool: list[PoolEntry], seed: bytes
) -> list[list[str]]:
    """§4: every selected entity's team, in draw order; InfeasibleDraw when a slot has no candidate."""
    protocol, hash_name = plan["protocol"], plan["hash"]
    load = {inspector.inspector_id: 0 for inspector in pool}  # every inspector starts with load 0
    teams = []
    for _, entity in selected:  # for each selected entity e in draw order
        team: list[str] = []  # the team starts empty
        for entry in plan["team"]:  # for each entry of plan.team in array order
            for _ in range(entry["size"]):  # size times
                candidates = [
                    i
                    for i in pool
                    if i.agency == entry["agency"]
                    and i.inspector_id not in team
                    and load[i.inspector_id] < i.capacity
                    and set(entry["expertise"]) <= set(i.expertise)
                    and entity.entity_id not in i.avoid
                    and not (
                        plan["avoid_home_district"] and entity.district != "-" and entity.district in i.home_districts
                    )
                ]
                if not candidates:
                    raise InfeasibleDraw(entity.entity_id, entry["agency"])
                chosen = min(
                    candidates,
                    key=lambda i: (
                        load[i.inspector_id],
                        plain_rank(protocol, seed, i, load[i.inspector_id], entity, hash_name),
                        i.inspector_id.encode("utf-8"),
                    ),
                )
                team.append(chosen.inspector_id)
                load[chosen.inspector_id] += 1
        teams.append(team)
    return teams


def plain_selections(plan: dict, roster_bytes: bytes, pool_bytes: bytes, seed: bytes) -> list[dict]:
    """§3 and §4 by the plain reading: the record's `selections`."""
    selected = plain_select(parse_roster(roster_bytes), plan["quotas"], seed, plan["hash"])
    teams = plain_teams(plan, selected, parse_pool(pool_bytes), seed)
    return [
        {"entity_id": entity.entity_id, "stratum": entity.stratum, "key": f"{key:016x}", "team": team}
        for (key, entity), team in zip(selected, teams)
    ]


# ================================================================ PART 3: FAST PATHS (§3, §4)
# The same results as part 2, computed over whole columns in C, in several processes, and (JDP-2 §4) with a
# priority queue per agency. Nothing here is needed to check a draw: `--plain` skips all of it.

# ---------------------------------------------------------------- fast: drawing entities (§3)


def _entity_keys(ids: list[bytes], weights: list[bytes], seed: bytes, hash_name: str) -> list[bytes]:
    """JDP §3: key(e) = min over t of u64(seed || "E" || entity_id || LF || t), as 8 big-endian bytes.

    Ticket 1 of every entity in one pass over the column. Then the entities of weight > 1 (few), by weight:
    for the w entities of one weight, tickets 2..w each in one pass, and the key is the min of the w columns
    in one more. Every pass runs in C (map over whole lists, no Python statement per ticket).
    """
    new = _constructor(hash_name, short=True)
    digest = _digest_method(new)
    prefix = seed + b"E"
    add = operator.add
    keys = list(map(_U64, map(digest, map(new, map(add, map(add, repeat(prefix), ids), repeat(b"\n1"))))))
    heavy = list(compress(count(), map(operator.ne, weights, repeat(b"1"))))  # (operator.ne: no slot wrapper)
    if not heavy:
        return keys
    by_weight: defaultdict[bytes, list[int]] = defaultdict(list)
    deque(map(list.append, map(by_weight.__getitem__, map(weights.__getitem__, heavy)), heavy), maxlen=0)
    for weight, members in by_weight.items():
        prefixed = list(map(add, repeat(prefix), map(ids.__getitem__, members)))
        tickets = [list(map(keys.__getitem__, members))]  # ticket 1
        for t in range(2, int(weight) + 1):
            tickets.append(list(map(_U64, map(digest, map(new, map(add, prefixed, repeat(b"\n%d" % t)))))))
        deque(map(keys.__setitem__, members, map(min, *tickets)), maxlen=0)
    return keys


# The districts of a span's candidates are let go once the candidates kept are fewer than half of them (and
# this many more): without it a worker held the district of every entity it ever kept, which grows with the
# roster (about quota * (1 + ln(stratum size / quota)) per stratum) while what is kept stays at the quota.
_PRUNE_SLACK = 100_000
_Selected = tuple[bytes, bytes, bytes]  # (key || entity_id, district, stratum); key||id sorts as (key, id)
_ABOVE_ALL = b"\xff" * 9  # greater than every key || entity_id
_Span = tuple[int, bytes, bytes, dict[bytes, int], dict[bytes, tuple[list[bytes], list[bytes]]]]


def _bound(kept: dict[bytes, list[bytes]], quotas: dict[bytes, int], stratum: bytes) -> bytes:
    """What an entity's key||id must be below to be selectable in `stratum`, given the smallest kept so far."""
    quota = quotas.get(stratum, 0)
    top = kept.get(stratum)
    if not quota:
        return b""
    return top[quota - 1] if top and len(top) >= quota else _ABOVE_ALL


def _select_pieces(
    roster: bytes,
    pieces: list[tuple[int, int, int]],
    seed: bytes,
    hash_name: str,
    quotas: dict[bytes, int],
    report: Callable[[int], None] | None,
) -> _Span:
    """JDP §3 over consecutive pieces of the roster (a span): its number of lines, first and last entity_id,
    strata sizes (in order of first appearance), and per stratum its quota smallest key||id, sorted, with
    their districts.

    What is kept per stratum bounds the pieces after it: an entity whose key||id is not below the quota-th
    smallest kept cannot be selected (exact, because key||id are all distinct). So past its key, only an
    entity with key <= the loosest bound among its piece's strata is looked at (few, once bounds are known).
    """
    sizes: Counter[bytes] = Counter()
    kept: dict[bytes, list[bytes]] = {}
    district_of: dict[bytes, bytes] = {}
    lines, first, last = 0, b"", b""
    add = operator.add
    for start, end, first_line in pieces:
        ids, strata, weights, districts = _roster_columns(roster[start:end], first_line)
        _release_pages(roster, start, end)  # a mapped roster: this piece is copied out
        if not ids:
            continue
        if last and not last < ids[0]:
            _check_ascending([last, ids[0]], first_line - 1, "roster", "entity_id")
        first, last, lines = first or ids[0], ids[-1], lines + len(ids)
        keys = _entity_keys(ids, weights, seed, hash_name)
        here = Counter(strata)
        sizes.update(here)
        loosest = max(map(partial(_bound, kept, quotas), here))[:8]  # key||id < bound needs key <= bound[:8]
        near = list(compress(count(), map(operator.le, keys, repeat(loosest)))) if loosest else []
        groups: defaultdict[bytes, list[int]] = defaultdict(list)
        deque(map(list.append, map(groups.__getitem__, map(strata.__getitem__, near)), near), maxlen=0)
        for stratum, members in groups.items():
            bound = _bound(kept, quotas, stratum)
            if not bound:  # quota 0
                continue
            candidates = list(map(add, map(keys.__getitem__, members), map(ids.__getitem__, members)))
            if bound is not _ABOVE_ALL:
                below = list(map(operator.lt, candidates, repeat(bound)))
                candidates, members = list(compress(candidates, below)), list(compress(members, below))
            if candidates:
                district_of.update(zip(candidates, map(districts.__getitem__, members)))
                top = kept.setdefault(stratum, [])
                top += candidates
                top.sort()
                del top[quotas[stratum] :]
        if len(district_of) > 2 * sum(map(len, kept.values())) + _PRUNE_SLACK:  # candidates since pushed out
            district_of = {kid: district_of[kid] for top in kept.values() for kid in top}
        if report:
            report(len(ids))
    return lines, first, last, sizes, {s: (top, list(map(district_of.__getitem__, top))) for s, top in kept.items()}


def _select_span(task: tuple[Any, ...]) -> _Span:
    """_select_pieces in a worker: on the roster it was forked with, or on the bytes of its span."""
    data, base, pieces, seed, hash_name, quotas = task
    done: Any = _FORKED_WITH.get("done")  # the lines done by all workers, shared with the parent

    def report(lines: int) -> None:
        with done.get_lock():
            done.value += lines

    if data is None:
        data = _FORKED_WITH["roster"]
    else:
        pieces = [(start - base, end - base, line) for start, end, line in pieces]
    return _select_pieces(data, pieces, seed, hash_name, quotas, report if done is not None else None)


_FORKED_WITH: dict[str, Any] = {}  # the roster the current pool's workers were forked with, and their progress


def _release_pages(data: Any, start: int = 0, end: int | None = None) -> None:
    """A memory-mapped roster (the hub maps its frozen file): drop the pages of data[start:end] that this
    process has read from its resident memory (all of them when `end` is None). They stay in the page cache
    and are read again if needed, so neither the process that forms the teams and stores the draw nor a worker
    holds a big roster whole (380 MB for 10,000,000 entities). Bytes are left alone."""
    madvise = getattr(data, "madvise", None)
    if madvise is None or not hasattr(mmap, "MADV_DONTNEED"):
        return
    if end is None:
        madvise(mmap.MADV_DONTNEED)
        return
    first, last = start - start % mmap.PAGESIZE, end - end % mmap.PAGESIZE  # whole pages only
    if last > first:
        madvise(mmap.MADV_DONTNEED, first, last - first)


def _pool_of_workers(workers: int, roster: Any, progress: bool = False) -> Any:
    """A process pool, or None where none can be made (e.g. inside a daemonic process): same result, slower.
    Forked workers get `roster` with the fork, so pieces go to them as offsets instead of copies, and a
    shared counter of the lines they have done (`progress`)."""
    methods = multiprocessing.get_all_start_methods()
    _FORKED_WITH.clear()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if "fork" in methods:
        _FORKED_WITH["roster"] = roster
        if progress:
            _FORKED_WITH["done"] = context.Value("q", 0)
    try:
        return context.Pool(workers)
    except (AssertionError, OSError):
        _FORKED_WITH.clear()
        return None


def _shut(pool: Any, interrupted: bool) -> None:
    """Close a pool so its workers end on their own once the tasks queued are done, even after a JDPError
    (a few roster pieces at most); terminate() only for an interrupt, as it can deadlock in CPython's pool
    when it kills a worker in the middle of a write."""
    if interrupted:
        pool.terminate()
    else:
        pool.close()
        pool.join()


def _start_select(
    roster: bytes,
    pieces: list[tuple[int, int, int]],
    quotas: dict[str, int],
    seed: bytes,
    hash_name: str,
    pool: Any,
    workers: int,
) -> tuple[Any, ...]:
    """JDP §3 begun: with a pool of workers, the roster cut into one span of consecutive pieces per worker,
    each span's work sent to a worker (one result each: its strata sizes and quota smallest per stratum)."""
    byte_quotas = {stratum.encode("utf-8"): quota for stratum, quota in quotas.items()}
    if pool is None or len(pieces) < 2:
        return roster, pieces, seed, hash_name, byte_quotas, None
    forked = _FORKED_WITH.get("roster") is roster  # the workers hold it already: spans go as offsets
    running = []
    for n in range(workers):
        span = pieces[n * len(pieces) // workers : (n + 1) * len(pieces) // workers]
        if span:
            data = None if forked else roster[span[0][0] : span[-1][1]]
            task = (data, span[0][0], span, seed, hash_name, byte_quotas)
            running.append(pool.apply_async(_select_span, (task,)))
    return roster, pieces, seed, hash_name, byte_quotas, running


def _finish_select(begun: tuple[Any, ...], tick: Callable[[int], None]) -> tuple[dict[str, int], list[_Selected]]:
    """JDP §3 ended: strata sizes in order of first appearance, and the selected entities in draw order."""
    roster, pieces, seed, hash_name, quotas, running = begun
    if running is None:
        spans = [_select_pieces(roster, pieces, seed, hash_name, quotas, tick)]
    else:
        spans, done, reported = [], _FORKED_WITH.get("done"), 0
        while running:  # taken out of the list: a span's result is dropped once merged
            result = running.pop(0)
            while done is not None and not result.ready():  # the workers' progress, now and then
                result.wait(0.25)
                tick(done.value - reported)
                reported = done.value
            spans.append(result.get())
        tick(sum(span[0] for span in spans) - reported)
    sizes: Counter[bytes] = Counter()
    runs: dict[bytes, list[tuple[list[bytes], list[bytes]]]] = {}  # per stratum, each span's (top, districts)
    last, line = b"", 1
    while spans:
        lines, first, final, span_sizes, span_kept = spans.pop(0)
        if first and last and not last < first:
            _check_ascending([last, first], line - 1, "roster", "entity_id")
        last, line = final or last, line + lines
        sizes.update(span_sizes)
        for stratum, run in span_kept.items():
            runs.setdefault(stratum, []).append(run)
    district_of: dict[bytes, bytes] = {}  # of the selected entities only
    stratum_of: dict[bytes, bytes] = {}
    while runs:  # stratum by stratum: the spans' candidates that are not kept are let go at once
        stratum, stratum_runs = runs.popitem()
        if len(stratum_runs) == 1:
            top, districts = stratum_runs[0]
            district_of.update(zip(top, districts))
        else:  # sorted runs: the sort merges them
            top = sorted(chain.from_iterable(run[0] for run in stratum_runs))[: quotas[stratum]]
            candidates: dict[bytes, bytes] = {}
            for run in stratum_runs:
                candidates.update(zip(*run))
            district_of.update(zip(top, map(candidates.__getitem__, top)))
        stratum_of.update(zip(top, repeat(stratum)))
        del stratum_runs
    kids = sorted(stratum_of)  # the draw order: key || entity_id
    selected = list(zip(kids, map(district_of.__getitem__, kids), map(stratum_of.__getitem__, kids)))
    return {stratum.decode("utf-8"): size for stratum, size in sizes.items()}, selected


# ---------------------------------------------------------------- fast: forming teams (§4)


class _Lane:
    """Inspectors of one agency holding one expertise set, bucketed by load: levels[load] = {inspector_id}."""

    def __init__(self, members: list[bytes]) -> None:
        self.levels: list[set[bytes]] = [set(members)]
        self.low = 0


_Staffing = tuple[list[list[bytes]], tuple[int, int] | None]


def _staff_agency(task: tuple[Any, ...]) -> _Staffing:
    """§4 for the team entries of one agency (agencies share no inspector, so they are independent).

    Returns, per selected entity, the inspectors picked for these entries in plan order, and the first
    (entity position, entry index) without a candidate, if any. Stops before entity `stop`.
    """
    protocol, rest = task[0], task[1:]
    return _staff_agency_jdp2(rest) if protocol == "JDP-2" else _staff_agency_jdp1(rest)


def _blocked(members: list[tuple[Any, ...]]) -> tuple[defaultdict[bytes, set[bytes]], defaultdict[bytes, set[bytes]]]:
    """Per district, the inspectors living there; per entity, the inspectors who must avoid it."""
    by_home: defaultdict[bytes, set[bytes]] = defaultdict(set)
    by_avoid: defaultdict[bytes, set[bytes]] = defaultdict(set)
    for inspector, _, home, _, avoid in members:
        for district in home:
            by_home[district].add(inspector)
        for entity in avoid:
            by_avoid[entity].add(inspector)
    return by_home, by_avoid


def _staff_agency_jdp2(task: tuple[Any, ...]) -> _Staffing:
    """JDP-2 §4 with priority queues ordered by (load, rank, inspector_id bytes): one hash per assignment.

    One queue per expertise set the agency's entries ask for (one per agency when none asks). An entry is
    one bytes object, load (2 bytes, big-endian) || rank || inspector_id, so entries sort by (load, rank,
    inspector_id bytes) as plain bytes do. A slot takes the first candidate from the top, puts back the ones
    it passed over, and the picked inspector goes back into each of its queues with its new load and rank.
    With several queues an entry whose load is no longer the inspector's own (it was picked through another
    queue) is stale and dropped when it comes up; with one queue (the usual case) there are none.
    """
    seed, hash_name, avoid_home, selected, members, entries, stop, tick = task
    new = _constructor(hash_name, short=True)
    digest = _digest_method(new)
    prefix = seed + b"I"
    top = max((m[3] for m in members), default=0)
    levels = [load.to_bytes(2, "big") for load in range(top + 1)]  # capacity <= 10000 < 2 ** 16
    suffixes = [b"\n%d" % load for load in range(top + 1)]  # rank(i, l) = u64(seed || "I" || i || LF || l)
    ids = [m[0] for m in members]
    add = operator.add
    ranks = map(_U64, map(digest, map(new, map(add, map(add, repeat(prefix), ids), repeat(suffixes[0])))))
    first = dict(zip(ids, map(add, map(add, repeat(levels[0]), ranks), ids)))  # load 0: one hash each, in C
    capacity = {m[0]: m[3] for m in members}
    load = dict.fromkeys(capacity, 0)
    queues: dict[tuple[str, ...], list[bytes]] = {}
    queues_of: defaultdict[bytes, list[list[bytes]]] = defaultdict(list)
    for _, tags, _ in entries:
        if tags not in queues:
            queue = [first[m[0]] for m in members if m[1].issuperset(tags)]
            for item in queue:
                queues_of[item[10:]].append(queue)
            heapq.heapify(queue)
            queues[tags] = queue
    single = len(queues) == 1
    living_in, avoided_by = _blocked(members)
    no_one: set[bytes] = set()
    pop, push, replace = heapq.heappop, heapq.heappush, heapq.heapreplace
    picks: list[list[bytes]] = []
    if single and len(entries) == 1 and entries[0][2] == 1:  # the usual team: one inspector of this agency
        entry_index, (queue,) = entries[0][0], queues.values()
        for position, (entity, district) in enumerate(selected[:stop]):
            if tick and position % 512 == 511:
                tick(512)
            avoiding = avoided_by.get(entity, no_one)
            living = living_in.get(district, no_one) if avoid_home else no_one
            passed = []
            while queue:
                item = queue[0]
                inspector = item[10:]
                if inspector in avoiding or inspector in living:
                    passed.append(pop(queue))
                else:
                    break
            else:
                return picks, (position, entry_index)
            now = load[inspector] + 1
            load[inspector] = now
            if now == capacity[inspector]:
                pop(queue)
            else:
                replace(queue, levels[now] + _U64(digest(new(prefix + inspector + suffixes[now]))) + inspector)
            for item in passed:
                push(queue, item)
            picks.append([inspector])
        return picks, None
    for position, (entity, district) in enumerate(selected[:stop]):
        if tick and position % 512 == 511:
            tick(512)
        avoiding = avoided_by.get(entity, no_one)
        living = living_in.get(district, no_one) if avoid_home else no_one  # "-" is no one's home district
        team: list[bytes] = []
        for entry_index, tags, size in entries:
            queue = queues[tags]
            for _ in range(size):
                passed = []
                while queue:
                    item = queue[0]
                    inspector = item[10:]
                    if not single and item[:2] != levels[load[inspector]]:
                        pop(queue)  # stale
                    elif inspector in avoiding or inspector in living or inspector in team:
                        passed.append(pop(queue))
                    else:
                        break
                else:
                    return picks, (position, entry_index)
                team.append(inspector)
                now = load[inspector] + 1
                load[inspector] = now
                if now == capacity[inspector]:
                    pop(queue)
                elif single:
                    replace(queue, levels[now] + _U64(digest(new(prefix + inspector + suffixes[now]))) + inspector)
                else:
                    pop(queue)
                    fresh = levels[now] + _U64(digest(new(prefix + inspector + suffixes[now]))) + inspector
                    for member_queue in queues_of[inspector]:
                        push(member_queue, fresh)
                for item in passed:
                    push(queue, item)
        picks.append(team)
    return picks, None


def _staff_agency_jdp1(task: tuple[Any, ...]) -> _Staffing:
    """JDP-1 §4 (§7): the tie-break is keyed on the entity, so every candidate at the lowest load is hashed."""
    seed, hash_name, avoid_home, selected, members, entries, stop, tick = task
    new = _constructor(hash_name)
    digest = _digest_method(new)
    lanes = {tags: _Lane([m[0] for m in members if set(tags) <= m[1]]) for _, tags, _ in entries}
    lanes_of: defaultdict[bytes, list[_Lane]] = defaultdict(list)
    for lane in lanes.values():
        for inspector in lane.levels[0]:
            lanes_of[inspector].append(lane)
    capacity = {m[0]: m[3] for m in members}
    load = dict.fromkeys(capacity, 0)
    blocked_by_home, blocked_by_avoid = _blocked(members)
    no_one: set[bytes] = set()
    prefix_of = (seed + b"I").__add__
    picks: list[list[bytes]] = []
    for position, (entity, district) in enumerate(selected[:stop]):
        if tick and position % 512 == 511:
            tick(512)
        prefix = prefix_of(entity + b"\n").__add__
        excluded = blocked_by_avoid.get(entity, no_one)
        if avoid_home and district != b"-" and district in blocked_by_home:
            excluded = excluded | blocked_by_home[district]
        team: list[bytes] = []
        for entry_index, tags, size in entries:
            lane = lanes[tags]
            for _ in range(size):
                levels = lane.levels
                while lane.low < len(levels) and not levels[lane.low]:
                    lane.low += 1
                choice = None
                for bucket in islice(levels, lane.low, None):
                    if bucket and not excluded.isdisjoint(bucket):
                        bucket = bucket - excluded
                    if bucket:  # least load first, then u64(seed || "I" || entity || LF || inspector), then id
                        choice = min(zip(map(_U64, map(digest, map(new, map(prefix, bucket)))), bucket))[1]
                        break
                if choice is None:
                    return picks, (position, entry_index)
                team.append(choice)
                excluded = excluded | {choice}
                old = load[choice]
                load[choice] = old + 1
                for member_lane in lanes_of[choice]:
                    member_lane.levels[old].discard(choice)
                    if old + 1 < capacity[choice]:
                        if len(member_lane.levels) == old + 1:
                            member_lane.levels.append(set())
                        member_lane.levels[old + 1].add(choice)
        picks.append(team)
    return picks, None


def _staff_agency_packed(task: tuple[Any, ...]) -> tuple[bytes, int, tuple[int, int] | None]:
    """_staff_agency in a worker process, the selected entities and the picks sent as a few bytes objects
    (entity_id, district and inspector_id hold no LF): a copy each way instead of pickling 50,000 tuples."""
    ids, districts, n = task[4]
    selected = list(zip(ids.split(LF), districts.split(LF))) if n else []
    picks, failure = _staff_agency((*task[:4], selected, *task[5:]))
    return LF.join(chain.from_iterable(picks)), len(picks), failure


def _unpack_picks(packed: tuple[bytes, int, tuple[int, int] | None], size: int) -> _Staffing:
    """What _staff_agency_packed sent back, as _staff_agency returns it; `size` inspectors per team."""
    blob, teams, failure = packed
    flat = blob.split(LF) if teams else []
    return list(map(list, zip(*[iter(flat)] * size))), failure


_Teams = tuple[dict[str, list[tuple[int, tuple[str, ...], int]]], defaultdict[str, list[tuple[Any, ...]]]]


def _team_members(plan: dict, pool_entries: list[PoolEntry]) -> _Teams:
    """§4's inputs that need no selection (made while the workers draw the entities): per agency of the plan,
    its team entries (index, expertise tags, size) and its inspectors as bytes and sets."""
    agencies: dict[str, list[tuple[int, tuple[str, ...], int]]] = {}
    for index, entry in enumerate(plan["team"]):
        agencies.setdefault(entry["agency"], []).append((index, tuple(sorted(set(entry["expertise"]))), entry["size"]))
    members: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for p in pool_entries:
        if p.agency in agencies:
            members[p.agency].append(
                (
                    p.inspector_id.encode(),
                    frozenset(p.expertise),
                    frozenset(d.encode() for d in p.home_districts),
                    p.capacity,
                    frozenset(a.encode("utf-8") for a in p.avoid),
                )
            )
    return agencies, members


def _form_teams(
    plan: dict,
    prepared: _Teams,
    selected: list[_Selected],
    seed: bytes,
    pool: Any,
    tick: Callable[[int], None],
) -> list[list[str]]:
    """JDP §4: every selected entity's team, in draw order; InfeasibleDraw on the first empty slot."""
    agencies, members = prepared
    entity_ids = [item[0][8:] for item in selected]
    selected_bytes = list(zip(entity_ids, (item[1] for item in selected)))
    stop, results = len(selected), {}
    packed: tuple[bytes, bytes, int] = (b"", b"", 0)

    def task(agency: str, local: bool) -> tuple[Any, ...]:
        return (
            plan["protocol"],
            seed,
            plan["hash"],
            plan["avoid_home_district"],
            selected_bytes if local else packed,
            members[agency],
            agencies[agency],
            stop,
            tick if local else None,
        )

    if pool and len(agencies) > 1:  # the first agency here (with progress reports), the others in the workers
        first, *others = agencies
        packed = (LF.join(entity_ids), LF.join(item[1] for item in selected), len(selected))
        running = {agency: pool.apply_async(_staff_agency_packed, (task(agency, False),)) for agency in others}
        results[first] = _staff_agency(task(first, True))
        tick(len(selected) % 512)
        for agency in others:
            results[agency] = _unpack_picks(running[agency].get(), sum(size for _, _, size in agencies[agency]))
            tick(len(selected))
    else:
        for agency in agencies:
            results[agency] = _staff_agency(task(agency, True))
            failure = results[agency][1]
            stop = min(stop, failure[0] + 1) if failure else stop  # later agencies need not go further
            tick(len(selected) % 512)
    failures = [(result[1], agency) for agency, result in results.items() if result[1]]
    if failures:
        (position, _), agency = min(failures)
        raise InfeasibleDraw(entity_ids[position].decode("utf-8"), agency)
    text = {m[0]: m[0].decode() for agency_members in members.values() for m in agency_members}
    order = [entry["agency"] for entry in plan["team"] for _ in range(entry["size"])]
    by_agency = list(dict.fromkeys(order))
    if not order:
        return [[] for _ in selected]
    if order == [agency for agency in by_agency for _ in range(order.count(agency))]:  # [A, A, B]: no interleaving
        columns = [results[agency][0] for agency in by_agency]
        return [list(map(text.__getitem__, chain.from_iterable(parts))) for parts in zip(*columns)]
    teams = []
    for position in range(len(selected)):
        cursor = {agency: iter(result[0][position]) for agency, result in results.items()}
        teams.append([text[next(cursor[agency])] for agency in order])
    return teams


# ================================================================ PART 4: THE DRAW, ITS RECORD (§5), VERIFYING


def _compute(
    plan: dict,
    roster_bytes: bytes,
    pool_bytes: bytes,
    reveals: dict,
    entropy: str,
    workers: int,
    progress: Callable[[int, int], None] | None,
    plain: bool = False,
) -> dict:
    """The record's computed members, commitments not checked (verify reports those separately);
    `plain` computes §3 and §4 with part 2 only."""
    _check_plan_shape(plan)
    hash_name = plan["hash"]
    plan_digest = hexdigest(canonical_plan(plan), hash_name)
    roster_digest = hexdigest(roster_bytes, hash_name)
    pool_digest = hexdigest(pool_bytes, hash_name)
    if plain:
        pool_entries = parse_pool(pool_bytes)
        seed = compute_seed(plan_digest, roster_digest, pool_digest, reveals, entropy, hash_name, plan["protocol"])
        strata = dict(Counter(entry.stratum for entry in parse_roster(roster_bytes)))
        check_plan(plan, strata)
        return {
            "plan_digest": plan_digest,
            "roster_digest": roster_digest,
            "roster_size": sum(strata.values()),
            "strata": strata,
            "pool_digest": pool_digest,
            "pool_size": len(pool_entries),
            "seed": seed.hex(),
            "selections": plain_selections(plan, roster_bytes, pool_bytes, seed),
        }
    try:
        seed = compute_seed(plan_digest, roster_digest, pool_digest, reveals, entropy, hash_name, plan["protocol"])
    except JDPError:
        parse_pool(pool_bytes)  # a bad pool file is named first, as in the plain reading
        raise
    agencies = len({entry["agency"] for entry in plan["team"]})
    pieces, lines = _chunks(roster_bytes)
    _release_pages(roster_bytes)
    total, done = lines + sum(plan["quotas"].values()) * agencies, 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress and n:
            progress(min(done, total), total)

    with _gc_paused():  # before the fork, so the workers inherit it
        workers_pool = _pool_of_workers(workers, roster_bytes, progress is not None) if workers > 1 else None
        interrupted = False
        try:
            begun = _start_select(roster_bytes, pieces, plan["quotas"], seed, hash_name, workers_pool, workers)
            pool_entries = parse_pool(pool_bytes)  # here, while the workers draw the entities (§3)
            prepared = _team_members(plan, pool_entries)
            strata, selected = _finish_select(begun, tick)
            check_plan(plan, strata)
            teams = _form_teams(plan, prepared, selected, seed, workers_pool, tick)
        except BaseException as exc:
            interrupted = not isinstance(exc, Exception)  # KeyboardInterrupt, SystemExit
            raise
        finally:
            _FORKED_WITH.clear()
            if workers_pool:
                _shut(workers_pool, interrupted)
    kids = list(map(operator.itemgetter(0), selected))  # key || entity_id
    stratum_text = {stratum.encode("utf-8"): stratum for stratum in strata}
    columns = (
        map(bytes.decode, map(operator.itemgetter(slice(8, None)), kids)),  # entity_id (valid UTF-8: checked)
        map(stratum_text.__getitem__, map(operator.itemgetter(2), selected)),
        map(bytes.hex, map(_U64, kids)),
        teams,
    )
    selections = list(map(dict, map(zip, repeat(_SELECTION_FIELDS), zip(*columns))))
    return {
        "plan_digest": plan_digest,
        "roster_digest": roster_digest,
        "roster_size": sum(strata.values()),
        "strata": strata,
        "pool_digest": pool_digest,
        "pool_size": len(pool_entries),
        "seed": seed.hex(),
        "selections": selections,
    }


def draw(
    plan: dict,
    roster_bytes: bytes,
    pool_bytes: bytes,
    commitments: dict,
    reveals: dict,
    entropy: str = "",
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    plain: bool = False,
) -> dict:
    """Run the plan's protocol (JDP-2, or JDP-1) and return the §5 record; JDPError (InfeasibleDraw for §4)
    and nothing drawn otherwise. `plain` uses the plain reading (part 2) instead of the fast paths."""
    _check_plan_shape(plan)
    check_reveals(commitments, reveals, plan["hash"], plan["protocol"])
    computed = _compute(plan, roster_bytes, pool_bytes, reveals, entropy, workers, progress, plain)
    ordered_by_party = partial(sorted, key=lambda p: p.encode("utf-8"))
    record = {
        "protocol": plan["protocol"],
        "plan": plan,
        **computed,
        "commitments": {p: commitments[p] for p in ordered_by_party(commitments)},
        "reveals": {p: reveals[p] for p in ordered_by_party(reveals)},
        "entropy": entropy,
    }
    return {member: record[member] for member in RECORD_MEMBERS}


def verify(record: dict, roster_bytes: bytes, pool_bytes: bytes, *, workers: int = 1, plain: bool = False) -> list[str]:
    """JDP §5: recompute the draw from the files; [] when the record matches exactly, else the mismatches.
    A record of a protocol other than JDP-2 or JDP-1 is refused with UnknownProtocol, not compared."""
    if not isinstance(record, dict):
        return ["record is not a JSON object"]
    if "protocol" in record:
        check_protocol(record["protocol"])  # dispatch on the record's protocol; refuse any other
    missing = [member for member in RECORD_MEMBERS if member not in record]
    if missing:
        return [f"record lacks {', '.join(missing)}"]
    plan = record["plan"]
    try:
        _check_plan_shape(plan)
    except UnknownProtocol:
        raise
    except JDPError as exc:
        return [str(exc)]
    problems = []
    if plan["protocol"] != record["protocol"]:
        problems.append(f"protocol: the record says {record['protocol']!r}, its plan {plan['protocol']!r}")
    problems.extend(_reveal_problems(record["commitments"], record["reveals"], plan["hash"], record["protocol"]))
    if not isinstance(record["reveals"], dict):
        return problems
    try:
        expected = _compute(plan, roster_bytes, pool_bytes, record["reveals"], record["entropy"], workers, None, plain)
    except JDPError as exc:
        return [
            *problems,
            *_file_digest_problems(record, roster_bytes, pool_bytes),
            f"recomputing the draw failed: {exc}",
        ]
    for member, value in expected.items():
        if member != "selections" and record[member] != value:
            problems.append(f"{member}: record has {record[member]!r}, recomputed {value!r}")
    problems.extend(_selection_problems(record["selections"], expected["selections"]))
    return problems


def _file_digest_problems(record: dict, roster_bytes: bytes, pool_bytes: bytes) -> list[str]:
    problems = []
    for member, data in (("roster_digest", roster_bytes), ("pool_digest", pool_bytes)):
        try:
            if record[member] != hexdigest(data, record["plan"]["hash"]):
                problems.append(f"{member}: the record's digest differs from the file's")
        except JDPError as exc:
            problems.append(f"{member}: {exc}")
    return problems


def _selection_problems(actual: object, expected: list[dict]) -> list[str]:
    if actual == expected:  # the usual answer, found in C; the differences are named below otherwise
        return []
    if not isinstance(actual, list):
        return ["selections: not an array"]
    problems = []
    if len(actual) != len(expected):
        problems.append(f"selections: record has {len(actual)}, recomputed {len(expected)}")
    for i, (got, want) in enumerate(zip(actual, expected)):
        for field in ("entity_id", "stratum", "key", "team"):
            if not isinstance(got, dict) or got.get(field) != want[field]:
                value = got.get(field) if isinstance(got, dict) else got
                problems.append(f"selections[{i}].{field}: record has {value!r}, recomputed {want[field]!r}")
    return problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])


# ---------------------------------------------------------------- files and the command line


def read_file(path: str | Path, what: str) -> bytes:
    """The bytes of an input file; JDPError naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise JDPError(f"{what} {path}: cannot read ({exc.strerror})") from None


def read_json(path: str | Path, what: str) -> Any:
    try:
        return json.loads(read_file(path, what))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JDPError(f"{what} {path}: not valid JSON ({exc})") from None


def parse_reveal(text: str) -> tuple[str, str]:
    """`PARTY=HEX` -> (party, secret_hex)."""
    party, sep, secret = text.strip().partition("=")
    if not sep:
        raise JDPError(f"reveal {text!r}: expected PARTY=HEX")
    _check_party(party)
    _check_secret(party, secret)
    return party, secret


def draw_files(
    plan_path: str | Path,
    roster_path: str | Path,
    pool_path: str | Path,
    reveals: list[str],
    entropy: str | None,
    out_path: str | Path,
    commitments_path: str | Path | None = None,
    workers: int = 1,
    plain: bool = False,
) -> dict:
    """Draw from files and write the record (commitments computed from the reveals when not given)."""
    plan = read_json(plan_path, "plan")
    roster, pool = read_file(roster_path, "roster"), read_file(pool_path, "pool")
    revealed = dict(map(parse_reveal, reveals))
    if len(revealed) != len(reveals):
        raise JDPError("reveals: a party is given twice")
    try:
        if commitments_path is None:
            _check_plan_shape(plan)
            commitments = {
                party: commitment(party, secret, plan["hash"], plan["protocol"]) for party, secret in revealed.items()
            }
        else:
            commitments = read_json(commitments_path, "commitments")
        record = draw(plan, roster, pool, commitments, revealed, entropy or "", workers=workers, plain=plain)
    except (InfeasibleDraw, UnknownProtocol):
        raise
    except JDPError as exc:
        raise _naming_files(exc, plan=plan_path, roster=roster_path, pool=pool_path) from None
    del roster, pool  # drawn: the files' bytes (362 MB for 10,000,000 entities) go before the record is laid out
    try:
        Path(out_path).write_text(record_text(record), encoding="utf-8")
    except OSError as exc:
        raise JDPError(f"record {out_path}: cannot write ({exc.strerror})") from None
    return record


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')  # what json.dumps(s, ensure_ascii=False) escapes in a string


_SELECTION_FIELDS = ("entity_id", "stratum", "key", "team")


def _selections_alike(selections: list) -> bool:
    """Every selection a dict of exactly entity_id, stratum, key and team (a list), in that order; checked
    over the whole list in C."""
    return (
        set(map(type, selections)) <= {dict}
        and set(map(tuple, selections)) <= {_SELECTION_FIELDS}
        and set(map(type, map(operator.itemgetter("team"), selections))) <= {list}
    )


def record_text(record: dict) -> str:
    """The record as written: json.dumps(record, ensure_ascii=False, indent=1) plus LF, to the byte. The
    selections (most of a big record) are laid out here with the C encoder for each value, because the
    standard library's indenting encoder is pure Python (seconds for 50,000 selections)."""
    selections = record.get("selections")
    if not isinstance(selections, list) or not _selections_alike(selections):
        return json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    marker = "\u0000selections\u0000"
    text = json.dumps({**record, "selections": marker}, ensure_ascii=False, indent=1)
    ids, strata, keys, teams = (list(map(operator.itemgetter(field), selections)) for field in _SELECTION_FIELDS)
    strings = list(chain(ids, strata, keys, chain.from_iterable(teams)))
    if set(map(type, strings)) <= {str} and not _NEEDS_ESCAPE.search("".join(strings)):
        # nothing to escape (the usual case): json.dumps(s) is '"' + s + '"', laid out with one format per selection
        entry = '  {\n   "entity_id": "%s",\n   "stratum": "%s",\n   "key": "%s",\n   "team": %s\n  }'
        team_texts = list(map('[\n    "%s"\n   ]'.__mod__, map('",\n    "'.join, teams)))
        for empty in compress(count(), map(operator.not_, teams)):
            team_texts[empty] = "[]"
        laid_out = list(map(entry.__mod__, zip(ids, strata, keys, team_texts)))
        body = "[\n" + ",\n".join(laid_out) + "\n ]" if laid_out else "[]"
        return text.replace(json.dumps(marker), body, 1) + "\n"
    value = partial(json.dumps, ensure_ascii=False)
    laid_out = [
        '  {\n   "entity_id": '
        + value(sel["entity_id"])
        + ',\n   "stratum": '
        + value(sel["stratum"])
        + ',\n   "key": '
        + value(sel["key"])
        + ',\n   "team": '
        + ("[\n    " + ",\n    ".join(map(value, sel["team"])) + "\n   ]" if sel["team"] else "[]")
        + "\n  }"
        for sel in selections
    ]
    body = "[\n" + ",\n".join(laid_out) + "\n ]" if laid_out else "[]"
    return text.replace(json.dumps(marker), body, 1) + "\n"


def _naming_files(exc: JDPError, **paths: str | Path) -> JDPError:
    """The same error with the file it is about named: "roster line 3: ..." -> "roster r.tsv line 3: ..."."""
    message = str(exc)
    for what, path in paths.items():
        if message.startswith((f"{what} ", f"{what}.", f"{what}:")):
            return JDPError(f"{what} {path}: {message}" if what == "plan" else f"{what} {path}{message[len(what) :]}")
    return exc


def verify_files(
    record_path: str | Path, roster_path: str | Path, pool_path: str | Path, workers: int = 1, plain: bool = False
) -> list[str]:
    """verify() over files; [] when the record is confirmed."""
    record = read_json(record_path, "record")
    return verify(record, read_file(roster_path, "roster"), read_file(pool_path, "pool"), workers=workers, plain=plain)


def entropy_line(record: dict) -> str:
    """The entropy beside its declared source (§2), for a person to look the value up."""
    plan = record.get("plan") if isinstance(record.get("plan"), dict) else {}
    source = plan.get("entropy_source") if isinstance(plan, dict) else None
    return (
        f"entropy {record.get('entropy', '')!r} from source {source!r}"
        if source
        else f"entropy {record.get('entropy', '')!r} (no source declared)"
    )


def main(argv: list[str] | None = None) -> int:
    import argparse  # here: the hub imports this file without its command line

    parser = argparse.ArgumentParser(prog="jdp.py", description="JDP-2 / JDP-1 draw and verifier (draw-protocol.md)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="recompute a published draw record")
    check.add_argument("record")
    draw_cmd = commands.add_parser("draw", help="run a draw from files")
    draw_cmd.add_argument("--plan", required=True)
    draw_cmd.add_argument("--reveal", action="append", default=[], metavar="PARTY=HEX")
    draw_cmd.add_argument("--entropy", default="")
    draw_cmd.add_argument("--commitments", help="JSON object {party: commitment hex}")
    draw_cmd.add_argument("--out", required=True)
    for sub in (check, draw_cmd):
        sub.add_argument("--roster", required=True)
        sub.add_argument("--pool", required=True)
        sub.add_argument("--workers", type=int, default=1)
        sub.add_argument("--plain", action="store_true", help="compute §3 and §4 with the plain reading only")
    args = parser.parse_args(argv)
    try:
        if args.command == "verify":
            problems = verify_files(args.record, args.roster, args.pool, workers=args.workers, plain=args.plain)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                print(f"jdp: NOT verified: {problems[0]}{more}", file=sys.stderr)
                return 1
            record = read_json(args.record, "record")
            print(f"jdp: verified {args.record} ({record['protocol']}); {entropy_line(record)}")
            return 0
        record = draw_files(
            args.plan,
            args.roster,
            args.pool,
            args.reveal,
            args.entropy,
            args.out,
            args.commitments,
            workers=args.workers,
            plain=args.plain,
        )
        print(f"jdp: drew {len(record['selections'])} entities, seed {record['seed']}, record {args.out}")
        return 0
    except JDPError as exc:
        print(f"jdp: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
