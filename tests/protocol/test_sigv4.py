"""SigV4 verification against requests signed by botocore itself."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from poolgate.errors import (
    CognitoError,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from poolgate.protocol import sigv4
from poolgate.protocol.sigv4 import SignedRequest, check_well_formed, verify

REGION = "eu-west-1"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://127.0.0.1:9229"
SIGNED_AT = datetime(2026, 11, 26, 2, 16, 6)  # naive UTC, as botocore uses it
NOW = SIGNED_AT.replace(tzinfo=UTC).timestamp()
BODY = b'{"UserPoolId": "eu-west-1_AbCdEf123", "Username": "alice"}'
BASE_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser",
}
MISMATCH = sigv4.SIGNATURE_MISMATCH_MESSAGE
SECRETS = {AKID: SECRET}


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Make botocore sign as if the clock showed ``at``."""
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
        yield


def sign(
    body: bytes = BODY,
    *,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = BASE_HEADERS,
    url: str = ENDPOINT + "/",
    key: str = AKID,
    secret: str = SECRET,
    token: str | None = None,
    region: str = REGION,
    service: str = "cognito-idp",
    at: datetime = SIGNED_AT,
) -> SignedRequest:
    """Sign a POST with botocore and return it as the server would receive it."""
    request = AWSRequest(method="POST", url=url, data=body)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        # HTTPHeaders appends on assignment, so repeated names stay repeated.
        request.headers[name] = value
    with frozen(at):
        botocore.auth.SigV4Auth(Credentials(key, secret, token), service, region).add_auth(request)
    received = list(request.headers.items())
    if not any(name.lower() == "host" for name, _ in received):
        # The HTTP client adds Host from the URL; botocore signed that same value.
        received.insert(0, ("Host", urlsplit(url).netloc))
    parts = urlsplit(url)
    return SignedRequest("POST", parts.path, parts.query, tuple(received), body)


def replace_header(req: SignedRequest, name: str, value: str | None) -> SignedRequest:
    """A copy of ``req`` with every ``name`` header replaced by ``value`` (or dropped)."""
    kept = [(n, v) for n, v in req.headers if n.lower() != name.lower()]
    if value is not None:
        kept.append((name, value))
    return SignedRequest(req.method, req.path, req.query, tuple(kept), req.body)


def header(req: SignedRequest, name: str) -> str:
    return next(v for n, v in req.headers if n.lower() == name.lower())


def run(req: SignedRequest, now: float = NOW) -> str:
    return verify(req, region=REGION, now=now, lookup_secret=SECRETS.get)


def raises(exc: type[CognitoError], req: SignedRequest, now: float = NOW) -> CognitoError:
    with pytest.raises(exc) as info:
        run(req, now)
    return info.value


# Valid requests.


def test_valid_request_returns_access_key_id() -> None:
    req = sign()
    assert header(req, "Authorization").startswith(
        f"AWS4-HMAC-SHA256 Credential={AKID}/20261126/{REGION}/cognito-idp/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
    )
    assert run(req) == AKID


def test_empty_body_verifies() -> None:
    assert run(sign(b"")) == AKID


def test_header_values_with_extra_whitespace() -> None:
    headers = {
        "Content-Type": "  application/x-amz-json-1.1 ",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser",
        "X-Custom": "a   b \t  c",
    }
    req = sign(headers=headers)
    assert "x-custom" in header(req, "Authorization")
    assert run(req) == AKID
    # A proxy that collapses the whitespace does not break the signature.
    assert run(replace_header(req, "X-Custom", "a b c")) == AKID


def test_repeated_header_values_are_joined_in_order() -> None:
    headers = [*BASE_HEADERS.items(), ("X-Repeat", "one"), ("X-Repeat", " two  three ")]
    req = sign(headers=headers)
    assert [v for n, v in req.headers if n == "X-Repeat"] == ["one", " two  three "]
    assert run(req) == AKID
    # Swapping the order of the two values changes the canonical request.
    swapped = [(n, v) for n, v in req.headers if n != "X-Repeat"]
    swapped += [("X-Repeat", " two  three "), ("X-Repeat", "one")]
    with pytest.raises(InvalidSignatureException):
        run(SignedRequest("POST", "/", "", tuple(swapped), BODY))


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_header_name_case_does_not_matter(case: Callable[[str], str]) -> None:
    req = sign()
    renamed = tuple((case(n), v) for n, v in req.headers)
    assert run(SignedRequest("POST", "/", "", renamed, BODY)) == AKID


def test_date_header_fallback() -> None:
    req = sign(headers={**BASE_HEADERS, "Date": "placeholder"})
    assert not any(n.lower() == "x-amz-date" for n, _ in req.headers)
    assert header(req, "Date").startswith("Thu, 26 Nov 2026 02:16:06")
    assert run(req) == AKID


def test_declared_payload_hash_must_match_body() -> None:
    good = sign(headers={**BASE_HEADERS, "X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert run(good) == AKID
    bad = sign(headers={**BASE_HEADERS, "X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()})
    err = raises(InvalidSignatureException, bad)
    assert "x-amz-content-sha256" in err.message


def test_path_and_query_are_canonicalised_like_botocore() -> None:
    url = ENDPOINT + "/a%20b/./c//d/../e~f?b=2&a=%2F&a=1&c"
    req = sign(url=url)
    assert (req.path, req.query) == ("/a%20b/./c//d/../e~f", "b=2&a=%2F&a=1&c")
    assert run(req) == AKID


def test_canonical_uri_and_query_units() -> None:
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_uri("/") == "/"
    assert sigv4.canonical_uri("/a/../../b/./c/") == "/b/c/"
    assert sigv4.canonical_uri("/x%2Fy z") == "/x%252Fy%20z"
    assert sigv4.canonical_query("") == ""
    assert sigv4.canonical_query("z=1&a=b c&a=%41") == "a=A&a=b%20c&z=1"


def test_signing_key_is_cached() -> None:
    sigv4.signing_key.cache_clear()
    req = sign()
    run(req)
    run(req)
    info = sigv4.signing_key.cache_info()
    assert (info.hits, info.misses) == (1, 1)


# Signature mismatches and unknown keys.


def test_tampered_body_fails() -> None:
    req = sign()
    tampered = SignedRequest(req.method, req.path, req.query, req.headers, BODY.replace(b"alice", b"alicf"))
    assert raises(InvalidSignatureException, tampered).message == MISMATCH


def test_tampered_signed_header_fails() -> None:
    req = replace_header(sign(), "X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
    assert raises(InvalidSignatureException, req).message == MISMATCH


def test_tampered_host_fails() -> None:
    req = replace_header(sign(), "Host", "127.0.0.1:9230")
    assert raises(InvalidSignatureException, req).message == MISMATCH


def test_unsigned_header_may_change() -> None:
    req = replace_header(sign(), "User-Agent", "something else")
    assert run(req) == AKID


def test_wrong_secret_fails() -> None:
    req = sign(secret="not-the-secret")
    assert raises(InvalidSignatureException, req).message == MISMATCH


def test_unknown_key_is_unrecognized() -> None:
    req = sign(key="AKIDUNKNOWN")
    err = raises(UnrecognizedClientException, req)
    assert err.message == "The security token included in the request is invalid."


def test_security_token_is_unrecognized_but_well_formed() -> None:
    req = sign(token="FwoGZXIvYXdzEXAMPLE")
    assert header(req, "X-Amz-Security-Token") == "FwoGZXIvYXdzEXAMPLE"
    err = raises(UnrecognizedClientException, req)
    assert err.message == "The security token included in the request is invalid."
    assert check_well_formed(req, region=REGION, now=NOW) == AKID


# Missing or malformed Authorization headers.


def test_missing_authorization() -> None:
    req = replace_header(sign(), "Authorization", None)
    assert raises(MissingAuthenticationTokenException, req).message == "Missing Authentication Token"
    with pytest.raises(MissingAuthenticationTokenException):
        check_well_formed(req, region=REGION, now=NOW)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "garbage",
            (
                "Authorization header requires 'Credential' parameter. "
                "Authorization header requires 'Signature' parameter. "
                "Authorization header requires 'SignedHeaders' parameter. Authorization=garbage"
            ),
        ),
        (
            "Bearer eyJhbGciOiJSUzI1NiJ9.secret",
            (
                "Authorization header requires 'Credential' parameter. "
                "Authorization header requires 'Signature' parameter. "
                "Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer"
            ),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request",
            (
                "Authorization header requires 'Signature' parameter. "
                "Authorization header requires 'SignedHeaders' parameter. "
                "Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request"
            ),
        ),
        (
            (
                "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=00"
            ),
            (
                "'AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request' not a valid key=value pair "
                "(missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= "
                "AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00'."
            ),
        ),
        (
            (
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/aws4_request, "
                "SignedHeaders=host, Signature=00"
            ),
            (
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                "got 'AKIDEXAMPLE/20261126/eu-west-1/aws4_request'"
            ),
        ),
        (
            (
                "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=00"
            ),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Only 'AWS4-HMAC-SHA256' is supported.",
        ),
        (
            (
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/cognito-idp/aws4_request, "
                "SignedHeaders=content-type;x-amz-date, Signature=00"
            ),
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
    ],
)
def test_malformed_authorization(value: str, message: str) -> None:
    req = replace_header(sign(), "Authorization", value)
    assert raises(IncompleteSignatureException, req).message == message
    with pytest.raises(IncompleteSignatureException):
        check_well_formed(req, region=REGION, now=NOW)


def test_host_must_be_signed_even_with_valid_other_parts() -> None:
    req = sign()
    auth = header(req, "Authorization").replace("content-type;host;x-amz-date", "content-type;x-amz-date")
    err = raises(IncompleteSignatureException, replace_header(req, "Authorization", auth))
    assert "'Host'" in err.message


def test_unsigned_x_amz_target_is_refused() -> None:
    """Issue 15 item 6: a signature over host and x-amz-date only cannot be replayed as another operation."""
    narrow = sign(headers={})
    assert "SignedHeaders=host;x-amz-date," in header(narrow, "Authorization")
    replayed = SignedRequest(
        "POST",
        "/",
        "",
        (*narrow.headers, *BASE_HEADERS.items()),
        BODY,
    )
    replayed = replace_header(replayed, "X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
    err = raises(IncompleteSignatureException, replayed)
    assert err.message == "There were headers present in the request which were not signed: x-amz-target."
    with pytest.raises(IncompleteSignatureException):
        check_well_formed(replayed, region=REGION, now=NOW)


@pytest.mark.parametrize("name", ["X-Amz-User-Agent", "X-Amz-Content-SHA256", "X-Amz-Anything"])
def test_every_x_amz_header_must_be_signed(name: str) -> None:
    value = hashlib.sha256(BODY).hexdigest() if name == "X-Amz-Content-SHA256" else "value"
    assert run(sign(headers={**BASE_HEADERS, name: value})) == AKID
    err = raises(IncompleteSignatureException, replace_header(sign(), name, value))
    assert err.message.endswith(f"not signed: {name.lower()}.")


def test_headers_clients_leave_unsigned_are_allowed() -> None:
    """botocore and the JS SDK v3 never sign these; a proxy (CloudFront) adds X-Amz-Cf-Id."""
    req = sign()
    for name, value in [
        ("User-Agent", "aws-sdk-js/3"),
        ("X-Amzn-Trace-Id", "Root=1-abc"),
        ("X-Amz-Cf-Id", "cloudfront"),
        ("Expect", "100-continue"),
    ]:
        req = replace_header(req, name, value)
    assert run(req) == AKID


def test_missing_x_amz_date() -> None:
    req = sign()
    auth = header(req, "Authorization")
    err = raises(IncompleteSignatureException, replace_header(req, "X-Amz-Date", None))
    assert err.message == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={auth}"
    )


def test_unparseable_x_amz_date() -> None:
    req = replace_header(sign(), "X-Amz-Date", "2026-11-26T02:16:06Z")
    err = raises(IncompleteSignatureException, req)
    assert err.message.startswith("Date must be in ISO-8601 'basic format'. Got '2026-11-26T02:16:06Z'.")


# Scope and time window.


def test_wrong_region() -> None:
    err = raises(InvalidSignatureException, sign(region="us-east-1"))
    assert err.message == "Credential should be scoped to a valid region, not 'us-east-1'. "


def test_wrong_service() -> None:
    err = raises(InvalidSignatureException, sign(service="cognito-identity"))
    assert err.message == "Credential should be scoped to correct service: 'cognito-idp'. "


def test_scope_date_must_match_request_day() -> None:
    req = replace_header(sign(), "X-Amz-Date", "20261125T235959Z")
    err = raises(InvalidSignatureException, req, now=NOW - 3 * 3600)
    assert err.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20261126' != '20261125', from '20261125T235959Z'."
    )


def test_wrong_terminator() -> None:
    req = sign()
    auth = header(req, "Authorization").replace("/aws4_request", "/aws5_request")
    err = raises(InvalidSignatureException, replace_header(req, "Authorization", auth))
    assert (
        err.message
        == "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    )


def test_signature_expired_message() -> None:
    err = raises(InvalidSignatureException, sign(), now=NOW + 301)
    assert err.message == (
        "Signature expired: 20261126T021606Z is now earlier than 20261126T021607Z (20261126T022107Z - 5 min.)"
    )


def test_signature_not_yet_current_message() -> None:
    err = raises(InvalidSignatureException, sign(), now=NOW - 301)
    assert err.message == (
        "Signature not yet current: 20261126T021606Z is still later than "
        "20261126T021605Z (20261126T021105Z + 5 min.)"
    )


def test_window_edges_are_inclusive() -> None:
    req = sign()
    assert run(req, now=NOW + 300) == AKID
    assert run(req, now=NOW - 300) == AKID


def test_custom_skew() -> None:
    req = sign()
    with pytest.raises(InvalidSignatureException, match=r"\(20261126T021707Z - 1 min\.\)$"):
        verify(req, region=REGION, now=NOW + 61, lookup_secret=SECRETS.get, max_skew_seconds=60)


def test_signed_just_before_midnight_verifies_after_it() -> None:
    req = sign(at=SIGNED_AT.replace(hour=23, minute=59, second=58))
    late = SIGNED_AT.replace(hour=23, minute=59, second=58, tzinfo=UTC).timestamp() + 5
    assert run(req, now=late) == AKID


# Dev mode.


def test_check_well_formed_accepts_any_key_and_signature() -> None:
    assert check_well_formed(sign(secret="wrong"), region=REGION, now=NOW) == AKID
    assert check_well_formed(sign(key="ANYKEY"), region=REGION, now=NOW) == "ANYKEY"
    tampered = SignedRequest("POST", "/", "", sign().headers, b"{}")
    assert check_well_formed(tampered, region=REGION, now=NOW) == AKID


def test_check_well_formed_still_checks_scope_and_time() -> None:
    with pytest.raises(InvalidSignatureException, match="valid region"):
        check_well_formed(sign(region="us-east-1"), region=REGION, now=NOW)
    with pytest.raises(InvalidSignatureException, match="Signature expired"):
        check_well_formed(sign(), region=REGION, now=NOW + 3600)


# Properties and timing.


@settings(max_examples=60, deadline=None)
@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_body_verifies_and_any_byte_change_fails(body: bytes, data: st.DataObject) -> None:
    req = sign(body)
    assert run(req) == AKID
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    delta = data.draw(st.integers(min_value=1, max_value=255))
    changed = bytearray(body)
    changed[index] = (changed[index] + delta) % 256
    with pytest.raises(InvalidSignatureException):
        run(SignedRequest(req.method, req.path, req.query, req.headers, bytes(changed)))


def test_verify_timing(capsys: pytest.CaptureFixture[str]) -> None:
    req = sign()
    rounds = 1000
    start = time.perf_counter()
    for _ in range(rounds):
        run(req)
    per_call = (time.perf_counter() - start) / rounds
    with capsys.disabled():
        print(f"\nsigv4.verify: {per_call * 1e6:.1f} us per call over {rounds} calls")


def test_now_is_independent_of_wall_clock() -> None:
    # The verifier reads only the ``now`` it is given.
    req = sign(at=datetime(2001, 1, 1))
    then = datetime(2001, 1, 1, tzinfo=UTC).timestamp()
    assert run(req, now=then + timedelta(minutes=4).total_seconds()) == AKID
