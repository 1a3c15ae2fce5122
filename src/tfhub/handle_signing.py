"""Signed URLs (S3 presigned, GCS signed, Azure SAS, CloudFront, OSS, COS, Swift): recognise
one, and drop the query parameters of its signature, so that every signature of one object names
one cache entry."""

from __future__ import annotations

import urllib.parse

# Query parameters that sign the URL they are in (S3 SigV4 and V2, GCS V4 and V2, CloudFront,
# Azure SAS, Alibaba OSS V4 and V1, Tencent COS, OpenStack Swift TempURL): the signature covers
# the query (or the object), so one more parameter, or the query re-encoded, makes the store
# answer 403.
_SIGNATURE_PARAMETERS = frozenset(
    {"x-amz-signature", "x-goog-signature", "x-oss-signature", "signature", "sig"}
    | {"q-signature", "temp_url_sig"}
)


# Query parameters that only carry a signed URL's signature, credentials and validity (S3 V4 and
# V2, GCS V4 and V2, CloudFront, Azure SAS, OSS, COS, Swift): two signed URLs of one object
# differ only in them. Parameters that name the object (S3's `versionId`, say) are not among
# them.
_SIGNING_PREFIXES = ("x-amz-", "x-goog-", "x-oss-", "q-", "temp_url_")
_SIGNING_PARAMETERS = frozenset(
    {"awsaccesskeyid", "googleaccessid", "expires", "signature", "key-pair-id", "policy"}
    | {"ossaccesskeyid", "security-token"}
    | {"sig", "se", "st", "sv", "sp", "spr", "sr", "sip", "si", "ss", "srt", "sdd"}
    | {"skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid"}
)


def unsigned_url(url: str) -> str:
    """Returns a signed URL without the query parameters of its signature (the same for every
    signature of one object); any other URL as given."""
    if "?" not in url or not is_signed_url(url):  # The first test keeps resolve's hot path fast.
        return url
    parts = urllib.parse.urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if not _is_signing_parameter(urllib.parse.unquote(pair.partition("=")[0]).lower())
    ]
    return urllib.parse.urlunsplit(parts._replace(query="&".join(kept)))


def _is_signing_parameter(name: str) -> bool:
    return name.startswith(_SIGNING_PREFIXES) or name in _SIGNING_PARAMETERS


def is_signed_url(url: str) -> bool:
    """Whether `url` is a signed URL (an S3 presigned URL, a GCS signed URL, an Azure SAS)."""
    query = urllib.parse.urlsplit(url).query
    names = (pair.partition("=")[0] for pair in query.split("&"))
    return any(urllib.parse.unquote(name).lower() in _SIGNATURE_PARAMETERS for name in names)
