"""Mutants of the handle readers (`handle_kaggle`, `handle_signing`, `handle_urls`) that the
other tests let live (session 41): each test here fails with the change its docstring names."""

from __future__ import annotations

import pytest

from tfhub import errors, handles


def test_a_kaggle_page_outside_models_is_plain_http():
    """Kills `path.startswith("/")` for `"/models/"`: any other 8-character first segment
    (`/search/`) followed by owner/model/framework/variation/version read as a Kaggle model."""
    url = "https://www.kaggle.com/search/o/m/tensorFlow2/v/1"
    assert isinstance(handles.parse(url), handles.HttpModel)
    assert handles.cache_handle(url) == url


def test_a_percent_encoded_signature_name_still_marks_a_signed_url():
    """Kills reading query names without unquoting them in `is_signed_url`: S3 decodes
    `X%2DAmz%2DSignature`, so two signatures of one object share one cache entry."""
    url = "https://b.s3.amazonaws.com/m.tar.gz?X-Amz-Date=20261205T000000Z&X%2DAmz%2DSignature="
    one, other = handles.cache_handle(url + "abc"), handles.cache_handle(url + "def")
    assert one == other == "https://b.s3.amazonaws.com/m.tar.gz"


def test_an_at_sign_in_the_fragment_is_no_user_name():
    """Kills ending the authority at "/" or "?" only: `https://h#me@example/m` is a model on
    host h whose fragment holds an "@"; read as user info, its cache key would name another
    host's model (`https://example/m`), so one server's download would fill another's entry."""
    url = "https://h#me@example/m"
    assert handles.without_userinfo(url) == url
    assert handles.cache_handle(url) == url


def test_a_query_after_an_archive_name_keeps_it_an_archive():
    """Kills `is_archive_path` reading the whole URL: `m.tar.gz?v=1` is still an archive."""
    assert handles.is_archive_path("https://h/m.tar.gz?v=1")
    assert handles.is_archive_path("https://h/m.tgz?v=1#top")
    assert not handles.is_archive_path("https://h/m?file=m.tar.gz")


def test_a_huge_bytes_handle_is_shown_cut():
    """A 100 kB bytes handle (a file read by mistake) gives a message of a few hundred
    characters, not the file: its decoded text was offered whole ("Did you mean '...'") until
    session 41, though the handle itself was shown cut (found with that cut mutated away)."""
    with pytest.raises(errors.HandleTypeError) as caught:
        handles.check(b"x" * 100_000)
    assert len(str(caught.value)) < 1_000


def test_the_first_byte_that_is_not_utf8_is_named():
    """Kills naming the handle's first byte instead of its first bad one: `https://h/m\\xff`
    (the byte as Python decodes it from argv) names \\xff and its percent form %FF."""
    with pytest.raises(errors.InvalidHandleError) as caught:
        handles.check("https://h/m\udcff")
    assert "(\\xff)" in str(caught.value)
    assert "%FF" in str(caught.value)


def test_up_to_three_control_characters_are_listed():
    """Kills listing one control character where three different ones are in the handle."""
    with pytest.raises(errors.InvalidHandleError) as caught:
        handles.check("https://h/a\x01b\x02c\x03d\x04e")
    assert "'\\x01', '\\x02', '\\x03')" in str(caught.value)


def test_the_china_mirror_drops_a_fragment():
    """Kills keeping the fragment in the mirror's archive name: `.../google/m/2#top` is the
    archive `google/m/2.tar.gz`, not `google/m/2#top.tar.gz` (a fragment is never sent)."""
    parsed = handles.parse("https://hub.tensorflow.google.cn/google/m/2#top")
    assert (
        parsed.download_url() == "https://gcs.tensorflow.google.cn/tfhub-modules/google/m/2.tar.gz"
    )


def test_a_short_bytes_handle_offers_its_text_with_the_password_hidden():
    """Kills dropping the redaction of the offered text (the password would be shown)."""
    with pytest.raises(errors.HandleTypeError) as caught:
        handles.check(b"https://alice:s3cret@h/m.tar.gz")
    assert "s3cret" not in str(caught.value)
    assert "'https://***@h/m.tar.gz' (handle.decode())" in str(caught.value)


def test_a_bytes_handle_that_is_not_utf8_is_not_offered_a_decode_that_fails():
    """Such a handle was offered `handle.decode()`, which raises UnicodeDecodeError."""
    with pytest.raises(errors.HandleTypeError) as caught:
        handles.check(b"https://h/caf\xe9/m.tar.gz")
    assert "handle.decode()" not in str(caught.value)
    assert "not UTF-8 text" in str(caught.value)


def test_a_bytes_handle_check_would_refuse_is_not_offered_as_text():
    """b"" was offered `Did you mean '' (handle.decode())?`, and a text with control
    characters too: check() refuses both (review41b)."""
    for handle in (b"", b"\x1b[2Jhttps://h/m\n"):
        with pytest.raises(errors.HandleTypeError) as caught:
            handles.check(handle)
        assert "Did you mean" not in str(caught.value), str(caught.value)
