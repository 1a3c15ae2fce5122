"""http(s) handles read in place from GCS (TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED).

The server is asked for `?tf-hub-format=uncompressed` and must answer `303 See Other` with the
model's gs:// folder in the body, which is then read in place through tf.io.gfile.
"""

from __future__ import annotations

from .. import _http, constants, errors, handles
from .base import Resolver
from .path import PathResolver


class HttpUncompressedResolver(Resolver):
    """Resolves http(s) handles to the gs:// folder the hosting server names."""

    def __init__(self) -> None:
        self._path_resolver = PathResolver()

    def is_supported(self, handle: str) -> bool:
        if not handles.is_http_url(handle):
            return False
        return constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED

    def _resolve(self, handle: str) -> str:
        parsed = handles.parse(handle)
        # As upstream, the URL as given; Kaggle models at the same address as compressed ones.
        model_url = parsed.model_url() if isinstance(parsed, handles.KaggleModel) else handle
        url = handles.append_format_query(model_url, handles.UNCOMPRESSED_FORMAT_QUERY)
        return self._path_resolver(self._request_gcs_location(url, handle=handle))

    def _request_gcs_location(self, url: str, *, handle: str) -> str:
        """Returns the gs:// location from the server's 303 answer.

        Raises:
            ValueError: if the answer is not a 303 or its body is not a gs:// path
                (upstream's messages).
        """
        response = _http.get(url, handle=handle, allow_redirects=False)
        try:
            if response.status_code != 303:
                raise errors.InvalidHandleError(
                    f"Expected 303 See other HTTP response but received code {response.status_code}"
                )
            location = response.content.decode().strip()
        finally:
            response.close()
        if not location.startswith("gs://"):
            raise errors.InvalidHandleError(
                f"Expected server to return a GCS location but received {location}"
            )
        return location
