"""Checking AWS Signature Version 4 on IAM-authorised cognito-idp requests.

The algorithm is the public one described in the IAM user guide
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
Everything here is pure: the caller hands in the request as received, the
current time and a way to look up secrets, and gets back the access key id or
a raised :class:`~poolgate.errors.CognitoError`. Error codes and message texts
follow ``spec/protocol.md`` sections 3 and 5; where the spec leaves the wording
open we copy what AWS front doors are publicly reported to return.

Whether an operation needs a signature at all is decided by the caller from
the service model; this module never reads the operation from the body or the
target header, it only insists that ``X-Amz-Target``, like every ``x-amz-*``
header, is covered by the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote

from poolgate.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
log = logging.getLogger("poolgate")
DEFAULT_SERVICE = "cognito-idp"
DEFAULT_MAX_SKEW_SECONDS = 300

MISSING_TOKEN_MESSAGE = "Missing Authentication Token"
UNRECOGNIZED_CLIENT_MESSAGE = "The security token included in the request is invalid."
SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
# AWS splits the parameter list on commas and on whitespace alike, which is why
# a stray space inside "Credential= AKID/..." is reported as a missing '='.
_PARAM_SPLIT_RE = re.compile(r"[,\s]+")
_QUERY_SAFE = "-_.~"
# x-amz-* headers a proxy adds on the way, which the client therefore cannot sign: CloudFront
# tags each request it forwards with X-Amz-Cf-Id. Poolgate reads none of them.
_UNSIGNABLE_AMZ_HEADERS = frozenset({"x-amz-cf-id"})


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An HTTP request exactly as the server received it.

    ``path`` and ``query`` are the raw, still percent-encoded strings from the
    request line. ``headers`` keeps the received order and repeated names;
    names may be in any case.
    """

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Credential:
    """The five parts of the ``Credential=`` parameter."""

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str

    @property
    def scope(self) -> str:
        """The credential scope as it appears in the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    """A well-formed SigV4 ``Authorization`` header plus the request time it refers to."""

    credential: Credential
    signed_headers: str
    signed_header_names: tuple[str, ...]
    signature: str
    amz_date: str
    request_time: float


def verify(
    req: SignedRequest,
    *,
    region: str,
    now: float,
    lookup_secret: Callable[[str], str | None],
    service: str = DEFAULT_SERVICE,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
) -> str:
    """Return the access key id of a valid signature, or raise the AWS error.

    ``region`` is the region Poolgate serves, ``now`` the server time in epoch
    seconds, and ``lookup_secret`` maps an access key id to its secret (None
    when unknown). Raises ``MissingAuthenticationTokenException`` without an
    ``Authorization`` header, ``IncompleteSignatureException`` when it is
    malformed or leaves an ``x-amz-*`` header unsigned,
    ``InvalidSignatureException`` for a wrong scope, a time outside the window
    or a mismatch, and ``UnrecognizedClientException`` for an unknown key or
    any session token.
    """
    headers = _header_map(req.headers)
    auth = _parse_and_check(headers, region=region, now=now, service=service, max_skew=max_skew_seconds)
    # Poolgate issues no session credentials, so any token is one we cannot know.
    if "x-amz-security-token" in headers:
        raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)
    secret = lookup_secret(auth.credential.access_key_id)
    if secret is None:
        raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)

    payload_hash = _payload_hash(headers, req.body)
    canonical = canonical_request(req, headers, auth.signed_headers, auth.signed_header_names, payload_hash)
    to_sign = string_to_sign(auth.amz_date, auth.credential.scope, canonical)
    key = signing_key(secret, auth.credential.date, auth.credential.region, auth.credential.service)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), auth.signature.lower().encode("utf-8")):
        raise InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE)
    return auth.credential.access_key_id


def check_well_formed(
    req: SignedRequest,
    *,
    region: str,
    now: float,
    service: str = DEFAULT_SERVICE,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
) -> str:
    """Return the access key id if the signature is well formed, ignoring its value.

    Meant for ``--dev`` mode: the ``Authorization`` header must parse, its
    scope must name this region and service, and the request time must be in
    the window, but any key, secret, session token and signature value is
    accepted. Raises the same errors as :func:`verify` for those checks.
    """
    headers = _header_map(req.headers)
    auth = _parse_and_check(headers, region=region, now=now, service=service, max_skew=max_skew_seconds)
    return auth.credential.access_key_id


def parse_authorization(headers: dict[str, list[str]]) -> ParsedAuthorization:
    """Parse the ``Authorization`` and date headers; raise for anything missing or malformed,
    including an ``x-amz-*`` header that ``SignedHeaders`` leaves out.

    ``headers`` maps lowercase names to their values in received order, as
    built from a :class:`SignedRequest`. No scope or time check happens here.
    """
    values = headers.get("authorization")
    if not values:
        raise MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE)
    if len(values) > 1:
        raise IncompleteSignatureException("Authorization header must appear only once.")
    raw = values[0].strip()
    pieces = raw.split(None, 1)
    scheme = pieces[0] if pieces else ""
    rest = pieces[1] if len(pieces) > 1 else ""
    date_value = _first(headers, "x-amz-date") or _first(headers, "date")

    if scheme != ALGORITHM:
        if scheme.upper().startswith("AWS4-"):
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{scheme}'. Only '{ALGORITHM}' is supported."
            )
        # Another scheme (Bearer, Basic, ...) carries none of the SigV4 parts.
        # Only the scheme is echoed, since the rest may be someone's token.
        missing = _missing_sentences({}, has_date=date_value is not None)
        raise IncompleteSignatureException(f"{missing} Authorization={scheme}")

    params: dict[str, str] = {}
    for part in _PARAM_SPLIT_RE.split(rest):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise IncompleteSignatureException(
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{raw}'."
            )
        if name in params:
            raise IncompleteSignatureException(f"Authorization header repeats the '{name}' parameter.")
        params[name] = value

    complete = all(params.get(name) for name in ("Credential", "Signature", "SignedHeaders"))
    if date_value is None or not complete:
        missing = _missing_sentences(params, has_date=date_value is not None)
        raise IncompleteSignatureException(f"{missing} Authorization={raw}")

    credential_text = params["Credential"]
    parts = credential_text.split("/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential_text}'"
        )
    credential = Credential(*parts)

    signed_headers = params["SignedHeaders"]
    names = tuple(name.lower() for name in signed_headers.split(";"))
    if "" in names:
        raise IncompleteSignatureException(
            f"SignedHeaders must be a ';'-separated list of header names, got '{signed_headers}'."
        )
    if "host" not in names:
        raise IncompleteSignatureException(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    _check_amz_headers_signed(headers, names)

    amz_date, request_time = _parse_request_time(date_value)
    return ParsedAuthorization(
        credential=credential,
        signed_headers=signed_headers,
        signed_header_names=names,
        signature=params["Signature"],
        amz_date=amz_date,
        request_time=request_time,
    )


def canonical_uri(raw_path: str) -> str:
    """The canonical URI of a raw (percent-encoded) request path.

    Dot segments and empty segments are removed, then the path is
    URI-encoded once more, so ``%`` becomes ``%25``. For every service but S3
    this is what AWS signers do to the path as it is sent.
    """
    if not raw_path:
        return "/"
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    path = "/" + "/".join(kept)
    if raw_path.endswith("/") and kept:
        path += "/"
    return quote(path, safe="/~")


def canonical_query(raw_query: str) -> str:
    """The canonical query string: each name and value strictly encoded, pairs sorted."""
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((quote(unquote(name), safe=_QUERY_SAFE), quote(unquote(value), safe=_QUERY_SAFE)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_request(
    req: SignedRequest,
    headers: dict[str, list[str]],
    signed_headers: str,
    signed_header_names: Sequence[str],
    payload_hash: str,
) -> str:
    """Build the SigV4 canonical request.

    Header lines follow the client's ``SignedHeaders`` list; a signed header
    the request lacks contributes an empty value, so the signature then fails.
    """
    lines = [req.method.upper(), canonical_uri(req.path), canonical_query(req.query)]
    for name in signed_header_names:
        values = headers.get(name, [])
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    lines.append("")
    lines.append(signed_headers)
    lines.append(payload_hash)
    return "\n".join(lines)


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """The SigV4 string to sign for a canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key; cached because it only changes once a day per key."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode("utf-8"), hashlib.sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _parse_and_check(
    headers: dict[str, list[str]], *, region: str, now: float, service: str, max_skew: int
) -> ParsedAuthorization:
    """Parse the header, then check the credential scope and the time window."""
    auth = parse_authorization(headers)
    _check_scope(auth, region=region, service=service)
    _check_window(auth, now=now, max_skew=max_skew)
    return auth


def _check_scope(auth: ParsedAuthorization, *, region: str, service: str) -> None:
    """The scope must name our region and service, the right terminator and the request day."""
    cred = auth.credential
    if cred.region != region:
        _log_foreign_region(cred.region, region)
        raise InvalidSignatureException(
            f"Credential should be scoped to a valid region, not '{cred.region}'. "
        )
    if cred.service != service:
        raise InvalidSignatureException(f"Credential should be scoped to correct service: '{service}'. ")
    if cred.terminator != TERMINATOR:
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{cred.terminator}'. "
        )
    if cred.date != auth.amz_date[:8]:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{cred.date}' != '{auth.amz_date[:8]}', from '{auth.amz_date}'."
        )


_FOREIGN_REGIONS_LOGGED: set[str] = set()
_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def _log_foreign_region(asked: str, served: str) -> None:
    """Say once per region (at most 32) why signed calls fail: the client's region is not ours. The
    answer keeps Cognito's own message; the log says how to fix it on either side."""
    if (
        not _REGION_NAME.fullmatch(asked)
        or asked in _FOREIGN_REGIONS_LOGGED
        or len(_FOREIGN_REGIONS_LOGGED) >= 32
    ):
        return
    _FOREIGN_REGIONS_LOGGED.add(asked)
    log.warning(
        "a request was signed for region %s, but this server serves %s: set the client's region to %s "
        "(region_name, AWS_REGION, --region), or start Poolgate with --region %s (POOLGATE_REGION)",
        asked,
        served,
        served,
        asked,
    )


def _check_window(auth: ParsedAuthorization, *, now: float, max_skew: int) -> None:
    """Reject a request time more than ``max_skew`` seconds away from ``now``."""
    if now - max_skew <= auth.request_time <= now + max_skew:
        return
    span = f"{max_skew // 60} min." if max_skew % 60 == 0 else f"{max_skew} sec."
    now_text = _format_amz_date(now)
    if auth.request_time < now - max_skew:
        raise InvalidSignatureException(
            f"Signature expired: {auth.amz_date} is now earlier than "
            f"{_format_amz_date(now - max_skew)} ({now_text} - {span})"
        )
    if auth.request_time > now + max_skew:
        raise InvalidSignatureException(
            f"Signature not yet current: {auth.amz_date} is still later than "
            f"{_format_amz_date(now + max_skew)} ({now_text} + {span})"
        )


def _parse_request_time(value: str) -> tuple[str, float]:
    """Read ``X-Amz-Date`` (or ``Date``) into the basic-format stamp and epoch seconds."""
    value = value.strip()
    parsed: datetime | None = None
    basic = _AMZ_DATE_RE.fullmatch(value)
    if basic:
        # By hand rather than strptime, which costs more than the rest of the check.
        try:
            year, month, day, hour, minute, second = (int(part) for part in basic.groups())
            parsed = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            parsed = None
    else:
        # The Date header is an HTTP date such as "Thu, 26 Nov 2026 02:16:06 GMT".
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    if parsed is None:
        raise IncompleteSignatureException(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    epoch = parsed.timestamp()
    return _format_amz_date(epoch), epoch


def _payload_hash(headers: dict[str, list[str]], body: bytes) -> str:
    """The body hash for the canonical request; a declared hash must match the body."""
    computed = hashlib.sha256(body).hexdigest()
    declared = _first(headers, "x-amz-content-sha256")
    if declared is None:
        return computed
    declared = declared.strip()
    if declared.lower() != computed:
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return declared


def _check_amz_headers_signed(headers: dict[str, list[str]], signed_names: Sequence[str]) -> None:
    """Refuse a request carrying an ``x-amz-*`` header the signature does not cover.

    SigV4 asks signers to sign every ``x-amz-*`` header they send, and botocore, the AWS CLI
    and the JavaScript SDK v3 all do (they leave out only ``user-agent``, ``x-amzn-trace-id``
    and hop-by-hop headers). Left unsigned, ``X-Amz-Target`` could be swapped on a captured
    request: a signed AdminGetUser replayed as AdminDeleteUser.
    """
    signed = set(signed_names)
    unsigned = sorted(
        name
        for name in headers
        if name.startswith("x-amz-") and name not in signed and name not in _UNSIGNABLE_AMZ_HEADERS
    )
    if unsigned:
        raise IncompleteSignatureException(
            f"There were headers present in the request which were not signed: {', '.join(unsigned)}."
        )


def _missing_sentences(params: dict[str, str], *, has_date: bool) -> str:
    """AWS's list of what the Authorization header lacks, one sentence per part."""
    sentences = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if not has_date:
        sentences.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return " ".join(sentences)


def _header_map(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by lowercase name, keeping the received order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.strip().lower(), []).append(value)
    return grouped


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of a header, or None when it is absent."""
    values = headers.get(name)
    return values[0] if values else None


def _format_amz_date(epoch: float) -> str:
    """Epoch seconds as ``YYYYMMDD'T'HHMMSS'Z'``."""
    return time.strftime(_AMZ_DATE_FORMAT, time.gmtime(int(epoch)))
