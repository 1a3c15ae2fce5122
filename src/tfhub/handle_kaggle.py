"""Kaggle model URLs: both forms (`.../frameworks/F/variations/V/versions/N` and `.../F/V/N`)
parsed into one frozen record whose ``str()`` is the canonical short form hashed for the cache."""

from __future__ import annotations

import re
import urllib.parse

from . import constants, errors
from .handle_signing import is_signed_url
from .handle_urls import COMPRESSED_FORMAT_QUERY, append_format_query, normalize_scheme
from .utils.numbers import is_number
from .utils.records import FrozenRecord

KAGGLE_MODELS_PREFIX = "https://www.kaggle.com/models/"
# Kaggle takes framework slugs in any case (tfhub.dev redirects to ".../frameworks/TensorFlow2/",
# model pages show ".../tensorFlow2/"): the cache key spells them one way, as model pages do.
_KAGGLE_FRAMEWORKS = {
    name.lower(): name
    for name in ("tensorFlow1", "tensorFlow2", "tfLite", "tfJs", "keras", "jax", "pyTorch", "other")
}

_KAGGLE_LONG = re.compile(
    r"^(?P<owner>[^/]+)/(?P<model>[^/]+)/frameworks/(?P<framework>[^/]+)"
    r"/variations/(?P<variation>[^/]+)/versions/(?P<version>[0-9]+)/?$"
)
_KAGGLE_SHORT = re.compile(
    r"^(?P<owner>[^/]+)/(?P<model>[^/]+)/(?P<framework>[^/]+)"
    r"/(?P<variation>[^/]+)/(?P<version>[0-9]+)/?$"
)


class KaggleModel(FrozenRecord):
    """A Kaggle model version; ``str()`` is the canonical short URL hashed for the cache.

    Both URL forms, any case of the framework slug, ``kaggle.com`` or ``www.kaggle.com`` and any
    query (e.g. tfhub.dev's ``?tfhub-redirect=true``) give the same canonical URL.
    """

    _fields = ("owner", "model", "framework", "variation", "version")
    owner: str
    model: str
    framework: str
    variation: str
    version: int

    def __init__(
        self, owner: str, model: str, framework: str, variation: str, version: int
    ) -> None:
        self._init_fields(owner, model, framework, variation, version)

    def model_url(self) -> str:
        """Returns the long form, the one tfhub.dev redirects to, on TFHUB_KAGGLE_ENDPOINT if set.

        The framework is spelled as the user wrote it.
        """
        endpoint = constants.kaggle_endpoint()
        return (
            f"{endpoint}/models/{self.owner}/{self.model}/frameworks/{self.framework}/"
            f"variations/{self.variation}/versions/{self.version}"
        )

    def download_url(self) -> str:
        """Returns the hosting-protocol URL that serves the model's .tar.gz (compressed query)."""
        return append_format_query(self.model_url(), COMPRESSED_FORMAT_QUERY)

    @property
    def canonical_framework(self) -> str:
        """The framework slug as the cache key spells it (case does not matter to Kaggle)."""
        lowered = self.framework.lower()
        return _KAGGLE_FRAMEWORKS.get(lowered, lowered)

    def __str__(self) -> str:
        return (
            f"{KAGGLE_MODELS_PREFIX}{self.owner}/{self.model}/{self.canonical_framework}/"
            f"{self.variation}/{self.version}"
        )


def parse_kaggle(url: str) -> KaggleModel | None:
    """Parses both Kaggle model URL forms; None if `url` is not a Kaggle model version URL.

    Raises:
        tfhub.errors.InvalidHandleError: for a version longer than Python reads as a number
            (4,300 digits), or an owner, model, framework or variation that is `.` or `..`
            (also percent-encoded).
    """
    parsed = urllib.parse.urlsplit(normalize_scheme(url))
    if not _is_kaggle_models_url(parsed):
        return None
    rest = parsed.path[len("/models/") :]
    match = _KAGGLE_LONG.match(rest) or _KAGGLE_SHORT.match(rest)
    if match is None:
        return None
    fields = match.groupdict()
    for part in ("owner", "model", "framework", "variation"):
        _refuse_dot_part(part, fields[part])
    if not is_number(fields["version"]):
        digits = fields["version"]
        raise errors.InvalidHandleError(
            f"A Kaggle model's version is a number such as 1 or 2; this one has {len(digits):,} "
            f"digits. Check the URL. Received: version={digits[:20] + '...'!r}"
        )
    return KaggleModel(
        owner=fields["owner"],
        model=fields["model"],
        framework=fields["framework"],
        variation=fields["variation"],
        version=int(fields["version"]),
    )


def _refuse_dot_part(part: str, value: str) -> None:
    """Raises InvalidHandleError if `value`, the `part` of a Kaggle URL, is `.` or `..`, or
    holds one between encoded separators (`a%2F..`, `a%5C..`), also percent-encoded: HTTP
    clients (or a mirror that decodes `%2F`, as nginx does) resolve it away, so another path
    would be fetched."""
    unquoted = urllib.parse.unquote(value)
    dots = next((piece for piece in re.split(r"[/\\]", unquoted) if piece in (".", "..")), None)
    if dots is not None:
        what = f"be {dots!r}" if unquoted == dots else f"hold {dots!r} behind an encoded / or \\"
        raise errors.InvalidHandleError(
            f"A Kaggle model URL's {part} cannot {what} "
            "(HTTP clients resolve it away, so another path would be fetched). Kaggle "
            "names are letters, digits and dashes: copy the URL from the model's page. "
            f"Received: {part}={value!r}"
        )


def _is_kaggle_models_url(parsed: urllib.parse.SplitResult) -> bool:
    """Whether `parsed` is an address below Kaggle's `https://(www.)kaggle.com/models/`."""
    if parsed.scheme != "https" or parsed.hostname not in ("www.kaggle.com", "kaggle.com"):
        return False
    if parsed.username is not None or parsed.port not in (None, 443):
        return False
    return parsed.path.startswith("/models/")


def kaggle_mirror_url(url: str) -> str:
    """Returns `url` on TFHUB_KAGGLE_ENDPOINT when that is set and `url` is an address below
    Kaggle's `/models/` that is not a model version (a model's page without its version: the
    hub answers it with its latest), so the download goes to the mirror as a version's does;
    else `url` as given (a model version's address is `KaggleModel.model_url`; a signed URL,
    whose signature is for its own host).

    Raises:
        tfhub.errors.InvalidHandleError: for a part of the path that is `.` or `..` (also
            percent-encoded) or holds one behind an encoded `/` or `\\` (`a%2F..`), with or
            without the setting: clients (or a mirror decoding `%2F`) resolve it away, so the
            request would leave the endpoint's path (and Kaggle's `/models/`).
        tfhub.errors.SettingError: for a TFHUB_KAGGLE_ENDPOINT that is not an http(s) URL.
    """
    parsed = urllib.parse.urlsplit(normalize_scheme(url))
    if not _is_kaggle_models_url(parsed):
        return url
    for segment in parsed.path[len("/models/") :].split("/"):
        _refuse_dot_part("path part", segment)
    if is_signed_url(url):
        return url
    endpoint = constants.kaggle_endpoint()
    if endpoint == constants.DEFAULT_KAGGLE_ENDPOINT:
        return url
    return endpoint + urllib.parse.urlunsplit(("", "", parsed.path, parsed.query, parsed.fragment))
