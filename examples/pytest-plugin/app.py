"""A small Flask API protected by Cognito access tokens — written for AWS, unchanged for Poolgate.

It reads the user pool from the environment, verifies the bearer token against the pool's JWKS
(found from the token's issuer), and calls Cognito's GetUser with plain boto3.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import jwt
from flask import Flask, jsonify, request

app = Flask(__name__)
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def verify(token: str) -> dict[str, Any]:
    """The access token's claims; raises jwt.PyJWTError if it is not valid for our pool."""
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    if not issuer.endswith("/" + os.environ["USER_POOL_ID"]):
        raise jwt.InvalidIssuerError("token from another pool")
    client = _jwks_clients.setdefault(issuer, jwt.PyJWKClient(issuer + "/.well-known/jwks.json"))
    key = client.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer)
    if claims.get("token_use") != "access" or claims.get("client_id") != os.environ["USER_POOL_CLIENT_ID"]:
        raise jwt.InvalidTokenError("not an access token of our app client")
    return claims


@app.get("/me")
def me() -> Any:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    try:
        claims = verify(token)
    except jwt.PyJWTError as exc:
        return jsonify(error=str(exc)), 401
    try:
        profile = boto3.client("cognito-idp").get_user(AccessToken=token)
    except boto3.client("cognito-idp").exceptions.NotAuthorizedException as exc:
        # Cognito's own verdict (expired, revoked) wins over the offline check above.
        return jsonify(error=exc.response["Error"]["Message"]), 401
    attributes = {a["Name"]: a["Value"] for a in profile["UserAttributes"]}
    return jsonify(username=claims["username"], email=attributes.get("email"))
