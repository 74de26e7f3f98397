"""Cognito SRP math driven by the vectors of srp.md sections 7 and 8.3."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolgate.srp import (
    InvalidDeviceVerifierConfig,
    InvalidSrpA,
    InvalidTimestamp,
    ProofMismatch,
    ServerChallenge,
    StaleTimestamp,
    check_password,
    check_timestamp,
    encode_device_verifier_config,
    make_device_verifier,
    make_verifier,
    pad_hex,
    parse_device_verifier_config,
    parse_srp_a,
    parse_timestamp,
    pool_name_from_pool_id,
    start,
    timestamp_now,
    verify_claim,
    verify_device_claim,
)
from poolgate.srp.math import K_MULTIPLIER, N, claim_signature, compute_u, compute_x
from poolgate.srp.server import premaster_secret, session_key

# Copied from ../shared/spec/srp-vectors.json (srp.md sections 7 and 8.3), which were
# cross-checked against pycognito 2024.5.1 and amazon-cognito-identity-js 6.3.21.
# They are inlined so that the test does not depend on files outside the repository.
USER: dict[str, str] = {
    "POOL_ID": "us-east-1_TestPool1",
    "POOL_NAME": "TestPool1",
    "USERNAME": "alice",
    "PASSWORD": "Passw0rd!",
    "k": "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6",
    "SALT": "5a1c3e7f9b2d4c6e8f0a1b2c3d4e5f60",
    "x": "8da8726a0c4dab6eeef62fa4dcb65325a7f8e8de4087dfcccb6ca650ff79c539",
    "v": (
        "73db0ed2ebab65fe22ce04fe6d4e1bac1ae2d5db4f2c4ea5a4872eaa3ddff848e7f1dbd91ba69afaf1e188303e02501f"
        "d6385d324659987d45e9afeff605e90cf210bf1974259e93068ab83345af6f7d6094506e9eea0696025c4db4f346c924"
        "e27f9d7828d3f1d5fa06925cb9516a312a21b8e5dc948a96aab9b67819f05d349e63011edbf1ac83afa9fcef44962c67"
        "aa117983b8d268ac5e6e88ea1214ebd972b5431eb4e461f47754b9710a48c247be44a3d8fbe73531623fb992f64e5544"
        "d77004cb76b82fbfaed69594160238a5700c9e50bcf8c9bcf67338221fbd2f3b757108a55a84599fe37cc3496917a421"
        "86217ef5234a5c4790c3d6ae36811ad710722a3b5d01cdfd797630eecb39c5955ef4d553a7ec379c6cac3c444fecdaf0"
        "9ada9d1e70788943c40625ae8dd0fad486d080f381ce66b2f95a9cd3625116b8c166d88bbf64cb58940c52975b906226"
        "7000db35b2a9caf0d46680435caeb51e94756bc7d78c4861b87db1a0cca44f29e219f143ac414ff989e3ea4c64a660c"
    ),
    "b": "7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d",
    "B": (
        "43f08d0dfb151559e006d5bd4949a196c37325d731fb609ad773a23eb8ae593a1e21e3b880dbbe2d2fa7323645a83517"
        "9d5f76738e2176679db5228994727402a317abf2b2a674588e10a0d66f6eb6979b3d7aeba1905403d202ee3d22ef67dc"
        "c2533033ff643f95c8ef21ae0ba8a77a8f41245ab15e9573e8ecaa7ded50c80f03f1d91cf429fff1a76b1b86c5dde7d3"
        "4ffd3f7123ed87df12f57fd95d45b91115b1f5d7843eab88f9899b8a6237c1743d47d22cee9cd74a66cd48832f2c6483"
        "8d4a8654b29568ce141ac0a7f2ee9bf7dbd895d7d600a8c589c72fd10848bcc3870222fc7a2209a46000dda8ff610a96"
        "f2622070d6920012f2d113dfe03e68ee096d8d835b160cbaec315b609d326089a72ede79023224880e6f574e3b4e7706"
        "d206bc606a0107b3a0d0a4063c8ef1eafd5b92fac437b16f31b063bf48a4a1a11061b4d4f1c2e5a81ae317f8be5399d8"
        "8d31c4fc0a381ed49cd7a366a4564f9c974731f548bbfc3e41547e83c4edefb77f05ceb9b2960cc36bcf959fee744548"
    ),
    "a": "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f",
    "SRP_A": (
        "5a294b12f0b4916dbf3e8ac8926d43e6a8d27ed3b0556e352b80e508c2c14505c5d1f9d29b81fb1eb33164d0035e5f43"
        "118eda39797b79e8fca677f134d4d30ce8d5259ba3efc2003fb934cafce664ce9b75924f1b2bf5312c644e56740bc716"
        "e25578fc536ac0901aa857d14bd034a0a7a4d82aa347369a420fbea77479fb29b9acd5357b11f0a83d040822ca4ffaed"
        "05bcf9829d74d8f87cde80a083e26f8ee4a6ac5b061e71ffef5acf3e3df1c8a5caf472ce4228895efcdda9e70f9004f9"
        "4a2ad9e58cb22790743f96e6fb26299546a0a27ae5c0f954d2a3bf6f2b099ece50d950b9f37f167adc979d51f1920b4a"
        "1f26b5dcd2c4f79b4b11caa37b702d9ab00d566d2c5f996ca1c9db497fb48a0e4803c1b193cd46c6fb773c95aa39953a"
        "a700b043aa6d4eb63733765f9e499cc3e27fd591d8ab80445ebc2b7a1db452ab626cf78839da73cab5e9b50bee837ffa"
        "e799671fcf6051c66e22ca30c3596fe62a1a7c88cc58cc0983d286f16e6c291ba7a8c293d6c321fd93ef8231b9db82e3"
    ),
    "u": "76840773c528f95e289335b9bd1039d18b1d1621d9a99df7cd8c3ab09463a63b",
    "S": (
        "a489cc50b5e1076e1209d3efad028f5eee0fbaabdc9125e080d40558addba79ca8a4a1256f762ff54ba2057b5de3b52d"
        "94024fdae7a661c17d0f952381ac3542603b3809dd2d4d6ee335d9ec7e84eb885181b853cd0e1d8f897cd23d388cc78b"
        "5bf0e21f90ed7a279e21b93a1830e9eb233eda20488be772e765b72d7d73d06b01b59f428e7af28c9c2a5a1108069b98"
        "8b0279ac9696ab1297941cadf2b092c2b20b24e3eccdc0ecaa4389be4bf4c7a6f1f65722dbb3e13f1ad7f7bfd005c400"
        "afcdf53a24dc1a3b82ab547dcd99c1a17f91dcb33a6068d53f3e92f78a31c21f2f250ce7e9f2b046f92faded391569a1"
        "3297455646f25d92cb425adcfb275e83ff26c8b4c58b0086c7fbfbe121b46ea8faac47ba2bf43126c3e43386197ec5d0"
        "ea94b573893f0e3ca3bcd2cdde9b458700021280250ba6ebbb834bf74bb87b099210315f02249aaecfd92f8e30b6008f"
        "27b1e91c9c53ae6b0300f1e20e5848b35f18698f01d1508152a1959d2dc424c97c35b296c4c45a9c865545b8530ef84c"
    ),
    "HKDF_KEY": "30b21df8409c887933b9b29e21dc8c8b",
    "SECRET_BLOCK_B64": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "TIMESTAMP": "Tue Nov 5 07:08:09 UTC 2024",
    "PASSWORD_CLAIM_SIGNATURE": "LnXN9QTrqr7v4X+pHlX4KsPW3pDH73tMKYXdLvLjcGo=",
    "SECRET_HASH": "8Bz0/GXe63C1diXeD49PqGPdLF5Zr+u3qmODXrZppE4=",
}
DEVICE: dict[str, Any] = {
    "DEVICE_GROUP_KEY": "-abcDEF12",
    "DEVICE_KEY": "us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "DEVICE_PASSWORD": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==",
    "SALT": "00c0ffee11111111111111111111111111",
    "DeviceSecretVerifierConfig": {
        "PasswordVerifier": (
            "f5WWFAtLdAJc/M3uQheLCWzyC7fkrZBmnCZyIMA3soO/Eb4ShsgoQFD1J3SPq7xmnP/G99Pj8zYNGFu/w/j60waS92SgZ2i+"
            "+yPluPXAQzsUWb617JHRViSKIAzThoW6+1jT2MmUW1UZj5XUiIQNlovexQEP6wC9PFurMYLCvVJXUig58u1tkXwMYNSXL6mZ"
            "M6D8l3z6hsGh2ySCRSgl1TyqUkYCB87mU7SpEIo04gDg4A5zq6kwiGzV17drSXyejKjvAG5rziSCRWiiuQOtKUK6rSPAN4Tb"
            "tZQcNz5GoAh524T5kEXb5DKYkqDTss86Nm+VOTzGwNoxV2sk7O+dFW+8i6SZcGMaIg5RivrKcwIAoRHbAAtuh21tdv4yqUnt"
            "2x1jYVuPAJYJGwxzmkNyi3fF3Z/FV4Otz7Q0u6wgA0DHdgcqZ1pCcksu7nXCjqDjZxbs/EAnHRw/YmoiG8vHxPz7pDlBj03p"
            "8oKaLuu3nzbCo1YuMdSGfXlpZfgGhGxP"
        ),
        "Salt": "AMD/7hERERERERERERERERE=",
    },
    "b": "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e",
    "SRP_B": (
        "55d57926a916bcff13fb161a33cb8768ef23f6f86c590136b1e0218659e95d3af86fc33b2140962598bc3cb56b1290be"
        "76772e3724bd54bd00f68484570adc0037b6f10c18db2851d1ece03ab2f48ba006e00148972da8ca64fb6590c9ea1a45"
        "ad7b49bb1ebc9fea9623254eb554b0d3538e69d9ff0681a6a7feff9ddc6c98abd859f6d59b23314df87576248e0a2813"
        "3798154e9a2a727f026766dc4a8f8ef25dcde30912994e1ad88a992bb0dee554c5fdd5a8cb9e7757d9f8cfd49adedd9d"
        "40271884da3aca19fed4ade2c17d9a2a3ae775ed1cb3468b300f1275e68ed72700b74ed4e0309e7e6e16e06cc66429da"
        "f34be43c7e224eacf3a5e7e62d17ff6b6bceb478a6a92b5c1805c288ba007491aa9d00e3a8c58a5f5839b87cbfb164ad"
        "416fa1c9519889fd648857b56a84f0b4730fcd2ef24ef17e67dabefc195881be7bba0986c99c22833172a5a3eb0472b4"
        "6a0b7f2a501a65a33cf1b2377302afa6e1e148456124dddfa95f18fa6915ec2776bd03cda6571c6740b692b40a9b337e"
    ),
    "a": "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b",
    "SRP_A": (
        "649555b436ed32353ac242c17c1134d9874d8f8cc412a2bf53a654353d7c54b85fb65b5ebac5a89005fb664ec791be56"
        "a753a1678d4176e5f2f3c6ed42a4e9d54ddc6dc995bf26f9c2f16f5c4a07a771c2e5e71eb67c5fb68e47ba5c4ffc7bf0"
        "6799777c483ca2e0dae17ba04a1e26e47a2893ad9a5a7bf443fc191c70388a1efdad4c699bbd587557dd51d7760fae56"
        "115fc2ce27dae468d011ec25f94352ccb65f48e435ac834e405c11e127d5e856caba96398cad98e18357365ae616dadf"
        "9aac9fd26cee3f9b52a135ba5dac8bd23e8e3d43cd677b8fc491f40df001576a13d6e3e0a0506f3fae057488ef2db3d0"
        "974bb49af734cfeb98fc6a43fc2e31a8bf32aecb95723b5133265e97b245bbfeff6351667f915475f5cef183e182bfb9"
        "909148a1bed7a42492c12f20dd7e3ec6d22df8387c97ff7bde4688931c1efe6f2d5a4a4ec262c94ebc9332fb890041d3"
        "0c0d706ea37c3312b8a7e511296a5bde0aa1165df1e10c4bc496b5905f0985522ea33adade5260355fc59ce13df20b1"
    ),
    "HKDF_KEY": "95bff93d68a22d39603768671494dccb",
    "SECRET_BLOCK_B64": "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWl",
    "TIMESTAMP": "Sun Jan 12 13:04:05 UTC 2025",
    "PASSWORD_CLAIM_SIGNATURE": "8gUkZzNEp3inBwTPD9hLzLjY5FEahKft4OmGGHKDrP4=",
}


def h(value: str) -> int:
    return int(value, 16)


# --- padHex and constants -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0xABC, "0abc"), (0xC0FFEE, "00c0ffee"), (0x7F, "7f"), (0x80, "0080"), (0, "00"), (1, "01")],
)
def test_pad_hex_examples(value: int, expected: str) -> None:
    assert pad_hex(value) == expected


def test_pad_hex_rejects_negative() -> None:
    with pytest.raises(ValueError):
        pad_hex(-1)


@given(st.integers(min_value=0, max_value=1 << 3100))
def test_pad_hex_round_trips_and_is_positive_even_length(value: int) -> None:
    digits = pad_hex(value)
    assert len(digits) % 2 == 0 and digits == digits.lower()
    assert digits[0] in "01234567"
    assert int(digits, 16) == value


def test_k_matches_vector() -> None:
    assert h(USER["k"]) == K_MULTIPLIER


def test_pool_name_from_pool_id() -> None:
    assert pool_name_from_pool_id(USER["POOL_ID"]) == USER["POOL_NAME"]
    assert pool_name_from_pool_id("eu-west-1_a_b") == "a_b"
    with pytest.raises(ValueError):
        pool_name_from_pool_id("nounderscore")


# --- Vector 1: user SRP ---------------------------------------------------


def user_challenge() -> ServerChallenge:
    return start(USER["v"], USER["SRP_A"], b=h(USER["b"]))


def test_user_vector_x_and_verifier() -> None:
    x = compute_x(h(USER["SALT"]), USER["POOL_NAME"], USER["USERNAME"], USER["PASSWORD"])
    assert x == h(USER["x"])
    salt_hex, verifier_hex = make_verifier(
        USER["POOL_NAME"], USER["USERNAME"], USER["PASSWORD"], salt=h(USER["SALT"])
    )
    assert salt_hex == USER["SALT"]
    assert h(verifier_hex) == h(USER["v"])


def test_user_vector_b_u_s_key_signature() -> None:
    challenge = user_challenge()
    assert challenge.B_hex == USER["B"]
    assert h(challenge.A_hex) == h(USER["SRP_A"])
    assert compute_u(h(USER["SRP_A"]), h(challenge.B_hex)) == h(USER["u"])
    assert premaster_secret(challenge, USER["v"]) == h(USER["S"])
    key = session_key(challenge, USER["v"])
    assert key.hex() == USER["HKDF_KEY"]
    signature = claim_signature(
        key,
        USER["POOL_NAME"],
        USER["USERNAME"],
        base64.b64decode(USER["SECRET_BLOCK_B64"]),
        USER["TIMESTAMP"],
    )
    assert base64.b64encode(signature).decode() == USER["PASSWORD_CLAIM_SIGNATURE"]


def user_claim(**changes: str) -> dict[str, str]:
    claim = {
        "verifier_hex": USER["v"],
        "pool_name": USER["POOL_NAME"],
        "user_id_for_srp": USER["USERNAME"],
        "secret_block_b64": USER["SECRET_BLOCK_B64"],
        "timestamp": USER["TIMESTAMP"],
        "signature_b64": USER["PASSWORD_CLAIM_SIGNATURE"],
    }
    claim.update(changes)
    return claim


def test_user_vector_claim_verifies() -> None:
    verify_claim(user_challenge(), **user_claim())


def test_uppercase_and_zero_padded_a_gives_same_exchange() -> None:
    challenge = start(USER["v"], "000" + USER["SRP_A"].upper(), b=h(USER["b"]))
    assert challenge == user_challenge()
    verify_claim(challenge, **user_claim())


@pytest.mark.parametrize(
    "changes",
    [
        {"timestamp": "Tue Nov 05 07:08:09 UTC 2024"},
        {"user_id_for_srp": "Alice"},
        {"pool_name": "TestPool2"},
        {"secret_block_b64": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh4="},
        {"signature_b64": "MnXN9QTrqr7v4X+pHlX4KsPW3pDH73tMKYXdLvLjcGo="},
        {"signature_b64": USER["PASSWORD_CLAIM_SIGNATURE"].rstrip("=")},
        {"signature_b64": "not base64!"},
        {"signature_b64": ""},
        {"secret_block_b64": "%%%"},
        {"verifier_hex": pad_hex(h(USER["v"]) + 1)},
    ],
)
def test_user_vector_claim_rejects_any_change(changes: dict[str, str]) -> None:
    with pytest.raises(ProofMismatch):
        verify_claim(user_challenge(), **user_claim(**changes))


def test_claim_rejects_other_server_secret() -> None:
    other = start(USER["v"], USER["SRP_A"], b=h(USER["b"]) + 1)
    with pytest.raises(ProofMismatch):
        verify_claim(other, **user_claim())


def test_challenge_repr_hides_b() -> None:
    assert USER["b"] not in repr(user_challenge()) and str(h(USER["b"])) not in repr(user_challenge())


# --- Vector 2: device SRP -------------------------------------------------


def device_claim(**changes: str) -> dict[str, str]:
    claim = {
        "verifier_hex": pad_hex(int.from_bytes(base64.b64decode(DEVICE_CONFIG["PasswordVerifier"]), "big")),
        "device_group_key": DEVICE["DEVICE_GROUP_KEY"],
        "device_key": DEVICE["DEVICE_KEY"],
        "secret_block_b64": DEVICE["SECRET_BLOCK_B64"],
        "timestamp": DEVICE["TIMESTAMP"],
        "signature_b64": DEVICE["PASSWORD_CLAIM_SIGNATURE"],
    }
    claim.update(changes)
    return claim


DEVICE_CONFIG: dict[str, str] = DEVICE["DeviceSecretVerifierConfig"]


def test_device_vector_verifier_config() -> None:
    salt_hex, verifier_hex = make_device_verifier(
        DEVICE["DEVICE_GROUP_KEY"], DEVICE["DEVICE_KEY"], DEVICE["DEVICE_PASSWORD"], salt=h(DEVICE["SALT"])
    )
    assert salt_hex == DEVICE["SALT"]
    assert encode_device_verifier_config(salt_hex, verifier_hex) == (
        DEVICE_CONFIG["Salt"],
        DEVICE_CONFIG["PasswordVerifier"],
    )
    parsed = parse_device_verifier_config(
        password_verifier_b64=DEVICE_CONFIG["PasswordVerifier"], salt_b64=DEVICE_CONFIG["Salt"]
    )
    assert parsed == (salt_hex, verifier_hex)


def test_device_vector_exchange() -> None:
    verifier_hex = device_claim()["verifier_hex"]
    challenge = start(verifier_hex, DEVICE["SRP_A"], b=h(DEVICE["b"]))
    assert challenge.B_hex == DEVICE["SRP_B"]
    assert session_key(challenge, verifier_hex).hex() == DEVICE["HKDF_KEY"]
    verify_device_claim(challenge, **device_claim())
    with pytest.raises(ProofMismatch):
        verify_device_claim(challenge, **device_claim(device_key=DEVICE["DEVICE_KEY"] + "x"))
    with pytest.raises(ProofMismatch):
        verify_device_claim(challenge, **device_claim(timestamp="Sun Jan 12 13:04:06 UTC 2025"))


def test_device_config_salt_is_canonicalised() -> None:
    # A client that sends a superfluous leading zero byte still gets the canonical SALT back.
    salt_b64 = base64.b64encode(b"\x00\x00\x12\xab").decode()
    salt_hex, _ = parse_device_verifier_config(
        password_verifier_b64=DEVICE_CONFIG["PasswordVerifier"], salt_b64=salt_b64
    )
    assert salt_hex == "12ab"


@pytest.mark.parametrize(
    ("verifier", "salt"),
    [
        (DEVICE_CONFIG["PasswordVerifier"], "AAAA"),  # Salt zero.
        (base64.b64encode(b"\x00").decode(), DEVICE_CONFIG["Salt"]),  # Verifier zero.
        (base64.b64encode(b"\x01").decode(), DEVICE_CONFIG["Salt"]),  # Verifier one.
        (base64.b64encode(N.to_bytes(384, "big")).decode(), DEVICE_CONFIG["Salt"]),  # Verifier N.
        (base64.b64encode(b"\x01" * 400).decode(), DEVICE_CONFIG["Salt"]),  # Verifier too long.
        (DEVICE_CONFIG["PasswordVerifier"], base64.b64encode(b"\x01" * 100).decode()),  # Salt too long.
        ("not base64", DEVICE_CONFIG["Salt"]),
        (DEVICE_CONFIG["PasswordVerifier"], "AMD/7hERERERERERERERERE"),  # Missing padding.
        (DEVICE_CONFIG["PasswordVerifier"], "é"),
    ],
)
def test_device_config_rejects_bad_values(verifier: str, salt: str) -> None:
    with pytest.raises(InvalidDeviceVerifierConfig):
        parse_device_verifier_config(password_verifier_b64=verifier, salt_b64=salt)


# --- Verifiers and plain password checks ----------------------------------


def test_check_password_accepts_right_and_rejects_wrong() -> None:
    salt_hex, verifier_hex = make_verifier("TestPool1", "alice", "Passw0rd!")
    check_password("TestPool1", "alice", "Passw0rd!", salt_hex, verifier_hex)
    for pool, user, password in [
        ("TestPool1", "alice", "Passw0rd"),
        ("TestPool1", "alice", "passw0rd!"),
        ("TestPool1", "bob", "Passw0rd!"),
        ("TestPool2", "alice", "Passw0rd!"),
        ("TestPool1", "alice", "\ud800"),
    ]:
        with pytest.raises(ProofMismatch):
            check_password(pool, user, password, salt_hex, verifier_hex)


def test_check_password_against_vector() -> None:
    check_password(USER["POOL_NAME"], USER["USERNAME"], USER["PASSWORD"], USER["SALT"], USER["v"])
    with pytest.raises(ProofMismatch):
        check_password(USER["POOL_NAME"], USER["USERNAME"], "Passw0rd?", USER["SALT"], USER["v"])


def test_make_verifier_draws_fresh_canonical_salts() -> None:
    salts = set()
    for _ in range(20):
        salt_hex, verifier_hex = make_verifier("P", "u", "pw")
        assert salt_hex == pad_hex(h(salt_hex)) and 0 < h(salt_hex) < 1 << 128
        assert 1 < h(verifier_hex) < N
        salts.add(salt_hex)
    assert len(salts) == 20


def test_make_verifier_rejects_non_positive_salt() -> None:
    for salt in (0, -5):
        with pytest.raises(ValueError):
            make_verifier("P", "u", "pw", salt=salt)


def test_corrupt_stored_values_raise_value_error() -> None:
    with pytest.raises(ValueError):
        check_password("P", "u", "pw", "zz", USER["v"])
    with pytest.raises(ValueError):
        check_password("P", "u", "pw", USER["SALT"], pad_hex(N))
    with pytest.raises(ValueError):
        start("0", USER["SRP_A"])


# --- SRP_A parsing and B --------------------------------------------------


@pytest.mark.parametrize(
    "a_hex",
    [
        "",
        "0",
        "0000",
        format(N, "x"),
        format(N + 1, "x"),
        format(2 * N, "x"),
        "1" + "0" * 1024,
        "f" * 1025,
        "0x1234",
        "12 34",
        " 1234",
        "1234\n",
        "+1234",
        "12_34",
        "g123",
        "１２３",  # Fullwidth digits, which int() would accept.
    ],
)
def test_parse_srp_a_rejects(a_hex: str) -> None:
    with pytest.raises(InvalidSrpA):
        parse_srp_a(a_hex)
    with pytest.raises(InvalidSrpA):
        start(USER["v"], a_hex)


def test_parse_srp_a_accepts_case_and_leading_zeros() -> None:
    assert parse_srp_a("0" * 2000 + "1") == 1
    assert parse_srp_a(format(N - 1, "X")) == N - 1
    assert parse_srp_a(USER["SRP_A"].upper()) == h(USER["SRP_A"])


def test_forced_b_must_be_in_range() -> None:
    for b in (0, N, -1):
        with pytest.raises(ValueError):
            start(USER["v"], USER["SRP_A"], b=b)


@settings(max_examples=200, deadline=None)
@given(
    verifier=st.integers(min_value=1, max_value=N - 1),
    big_a=st.integers(min_value=1, max_value=N - 1),
    b=st.one_of(st.none(), st.integers(min_value=1, max_value=N - 1)),
)
def test_start_always_gives_b_in_range(verifier: int, big_a: int, b: int | None) -> None:
    challenge = start(format(verifier, "x"), format(big_a, "x"), b=b)
    assert 0 < h(challenge.B_hex) < N
    assert challenge.B_hex == challenge.B_hex.lower() and not challenge.B_hex.startswith("0")
    assert 0 < challenge.b < N


def test_random_b_differs_between_starts() -> None:
    assert len({start(USER["v"], USER["SRP_A"]).B_hex for _ in range(10)}) == 10


# --- TIMESTAMP --------------------------------------------------------------


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (1730790489, "Tue Nov 5 07:08:09 UTC 2024"),
        (1736687045, "Sun Jan 12 13:04:05 UTC 2025"),
        (0, "Thu Jan 1 00:00:00 UTC 1970"),
        (1709208000.9, "Thu Feb 29 12:00:00 UTC 2024"),
    ],
)
def test_timestamp_format_and_parse(epoch: float, text: str) -> None:
    assert timestamp_now(epoch) == text
    assert parse_timestamp(text) == int(epoch)


def test_vector_timestamps_parse() -> None:
    assert timestamp_now(parse_timestamp(USER["TIMESTAMP"])) == USER["TIMESTAMP"]
    assert timestamp_now(parse_timestamp(DEVICE["TIMESTAMP"])) == DEVICE["TIMESTAMP"]


@pytest.mark.parametrize(
    "text", ["Tue Nov 05 07:08:09 UTC 2024", "tue nov 5 07:08:09 utc 2024", "Tue  Nov  5 7:08:09 UTC 2024"]
)
def test_parse_timestamp_is_lenient(text: str) -> None:
    assert parse_timestamp(text) == 1730790489


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-11-05T07:08:09Z",
        "Tue Nov 5 07:08:09 GMT 2024",
        "Tue Nov 31 07:08:09 UTC 2024",
        "Tue Nov 5 25:08:09 UTC 2024",
        "Xyz Nov 5 07:08:09 UTC 2024",
        "Tue Nov ٥ 07:08:09 UTC 2024",  # Arabic-Indic digit five.
        "Tue Nov 5 07:08:09 UTC 2024\n",
    ],
)
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(InvalidTimestamp):
        parse_timestamp(text)


def test_check_timestamp_window() -> None:
    now = 1730790489.0
    check_timestamp(USER["TIMESTAMP"], now=now + 300)
    check_timestamp(USER["TIMESTAMP"], now=now - 300)
    for skew in (301, -301):
        with pytest.raises(StaleTimestamp):
            check_timestamp(USER["TIMESTAMP"], now=now + skew)
    with pytest.raises(InvalidTimestamp):
        check_timestamp("yesterday", now=now)
