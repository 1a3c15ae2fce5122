"""What `publish` (and `mirror`) refuse, and how each refusal says what to do.

Before anything is written: a handle part too long for a file name, a model path where the
hub serves other kinds of docs, a model name that differs only by case from one the hub has, a
symlinked folder on the way, a hub
folder that is a file or lies inside the model folder, an existing version (without `force`),
an archive holding a link, model files `tfhub validate` would refuse, a model that does not
load. How a write into the hub that fails says so is `publish_write_errors`' (`write_failure`
and `disk_full`, re-exported here).
"""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path
from typing import Any

from .. import errors
from ..model_folder_checks import model_files_in
from ..utils.paths import nearest_existing, non_folder_kind, relative_below
from ..utils.printable import escaped, repr_escaped
from . import catalog, docs_format, docs_layout, leftovers, model_files
from . import pack as pack_lib

# A model name that differs only by case from the hub's is `case_twins`' refusal.
from .case_twins import refuse_case_twin as refuse_case_twin
from .doc_file import DocKind
from .doc_handles import DocHandle
from .docs_text import read_doc_text

# How a write into the hub that fails says so (publish and tests use these names here).
from .publish_write_errors import disk_full as disk_full
from .publish_write_errors import write_failure as write_failure


def refuse_derived_url(handle: DocHandle) -> None:
    """Raises InvalidHandleError for a model path that starts with `lite-model/`, `tfjs-model/`
    or `coral-model/`: tfhub.dev's URLs of Lite, Tfjs and Coral docs (`# Lite p/spice/1` is
    served at `/p/lite-model/spice/1`), so such a Module and such a doc would share a URL; and
    for one that starts with `collections/`, the URLs of collections (`/p/collections/x/1`)."""
    first = handle.model.split("/")[0]
    if first in catalog.DERIVED_PREFIXES.values():
        served = f"{first.split('-')[0].capitalize()} docs"
    elif first == "collections":
        served = "collections"
    else:
        return
    raise errors.InvalidHandleError(
        f"The hub handle {str(handle)!r} starts its model with {first + '/'!r}, where the "
        f"hub serves {served} (as tfhub.dev did): rename the model. "
        f"Received: handle={str(handle)!r}"
    )


def refuse_long_names(root: str | os.PathLike[str], handle: DocHandle) -> None:
    """Raises InvalidHandleError for a handle part longer than a name of the hub folder's file
    system may be (`_name_max`): the parts name folders of the hub, and the publisher its doc
    `<publisher>.md` too; before anything is read or made (such a publish failed with "File
    name too long" at one step or another, the last after the model was loaded)."""
    limit = _name_max(root)
    names = [(handle.publisher, f"{handle.publisher}.md")]
    names += [(part, part) for part in handle.model.split("/")]
    for part, name in names:
        if len(name.encode()) <= limit:
            continue
        shown = part if len(part) <= 40 else f"{part[:40]}..."
        doc = " (and the publisher's doc, <publisher>.md)" if part == handle.publisher else ""
        raise errors.InvalidHandleError(
            f"The hub handle has the part {shown!r} ({len(part)} characters), too long for a "
            f"name: a handle's parts name folders of the hub{doc}, and the file system of the "
            f"hub folder {os.fspath(root)} allows names of at most {limit} bytes; shorten that "
            f"part (nothing was written). Received: handle={str(handle)!r}"
        )


# Most file systems (ext4, XFS, btrfs, APFS, NTFS) allow names of at most 255 bytes.
_DEFAULT_NAME_MAX = 255


def _name_max(root: str | os.PathLike[str]) -> int:
    """The longest name (bytes) the file system of `root`, or of its nearest existing parent
    folder, allows; `_DEFAULT_NAME_MAX` where the system does not tell."""
    try:
        folder = Path(os.path.abspath(root))
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        limit = int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # No pathconf (Windows), or no answer.
        return _DEFAULT_NAME_MAX
    return limit if limit > 0 else _DEFAULT_NAME_MAX  # -1: no limit told (POSIX), or a bad 0.


def refuse_pending_roll_back(folder: Path, *, docs: Path, handle: DocHandle) -> None:
    """Raises PublishBusyError if a killed publish's staging folder in the model folder could
    not be rolled back (`leftovers.pending_roll_backs`; the warning before says why): publishing
    over it would let its later roll-back move the new files aside."""
    pending = leftovers.pending_roll_backs(folder, docs=docs)
    if pending:
        raise errors.PublishBusyError(
            f"Cannot publish {handle}: the interrupted publish in {pending[0]} could not be "
            "rolled back yet (see the warning before: another process held a lock, or a file "
            "could not be put back), and publishing over it would let its roll-back move the "
            "new files aside. Once nothing else publishes for this publisher, run `tfhub "
            "validate ROOT` (it rolls it back), then publish again; nothing was published. "
            f"Received: handle={str(handle)!r}",
            path=os.fspath(pending[0]),
        )


def refuse_linked_folder(root: str | os.PathLike[str], handle: DocHandle) -> None:
    """Raises PublishTargetError if a folder of the handle's path below ROOT/assets/docs (the
    publisher's, `models`, a part of the model path) is a symlink: `tfhub serve` and
    `tfhub validate` never look below one (`docs_layout.find_doc_files`; a real path out of
    ROOT is not served either), so the version would be written and never served."""
    folder = docs_layout.docs_dir(root)
    for part in [handle.publisher, "models", *handle.model.split("/")]:
        folder = folder / part
        if folder.is_symlink():
            raise errors.PublishTargetError(
                f"Cannot publish {handle} into {folder}: it is a symlink (to "
                f"{os.readlink(folder)}), and `tfhub serve` and `tfhub validate` do not look "
                "below a symlinked folder (a version there is never served). Make it a real "
                "folder (move what it points to into its place), or publish under another name; "
                f"nothing was published. Received: handle={str(handle)!r}",
                path=os.fspath(folder),
            )
        if not folder.is_dir():
            return


def refuse_root(model_dir: str | os.PathLike[str], root: str | os.PathLike[str]) -> None:
    """Raises PublishTargetError if the hub folder is a file or a link to nothing (see
    `refuse_link_to_nothing`), lies inside another hub's `assets/` folder (see
    `refuse_inside_hub`), or is the model folder or inside it (the archive would be staged
    into the folder it packs), before anything is loaded or made."""
    refuse_inside_hub(root, "publish")
    refuse_link_to_nothing(root)
    if Path(root).exists() and not Path(root).is_dir():
        raise errors.PublishTargetError(
            f"The hub folder {os.fspath(root)} is a file: give a folder (it is created if "
            "missing).",
            path=os.fspath(root),
        )
    if os.path.isdir(model_dir) and relative_below(os.fspath(root), os.fspath(model_dir)):
        raise errors.PublishTargetError(
            f"The hub folder {os.fspath(root)} is inside the model folder "
            f"{os.fspath(model_dir)} it would publish: choose a hub folder outside it. "
            f"Received: root={os.fspath(root)!r}",
            path=os.fspath(root),
        )


def refuse_link_to_nothing(root: str | os.PathLike[str]) -> None:
    """Raises PublishTargetError if the hub folder, or the nearest of its parents that is
    there, is no folder: a symlink to nothing (a share not mounted, a folder moved away), a
    loop of links, or (a parent) a file; the folders cannot be made (before, `[Errno 20] Not a
    directory` named ROOT, which is no file, or the parent without saying it is a parent of
    the hub folder). What it is is said as `utils.paths.non_folder_kind` says it (a link's
    target resolved and escaped). A ROOT that is itself a file, or a link to one, is
    `refuse_root`'s."""
    shown = os.fspath(root)
    there = nearest_existing(shown)
    if os.path.isdir(there) or (there == os.path.abspath(shown) and os.path.exists(there)):
        return
    raise errors.PublishTargetError(
        f"The hub folder {escaped(shown)} cannot be made: {escaped(there)} "
        f"{non_folder_kind(there)}. {_link_remedy(there)}; nothing was published. "
        f"Received: root={shown!r}",
        path=there,
    )


def _link_remedy(there: str) -> str:
    """What to do about `there`, which is no folder: by what it leads to (a file, or a link to
    one: another hub folder; a loop of links: fix the link; a link to nothing: make its
    folder), not by whether it is a link."""
    if os.path.exists(there):
        return "Give a hub folder that is not below a file"
    try:
        os.stat(there)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "Fix the link (make it lead to a folder), or give another hub folder"
        if isinstance(err, PermissionError):
            return "Let this user reach the folder it points to, or give another hub folder"
    return (
        "Make the folder it points to (a file system not mounted, a folder moved or removed?), "
        "or give another hub folder"
    )


def refuse_inside_hub(root: str | os.PathLike[str], command: str) -> None:
    """Raises PublishTargetError if the hub folder `root` lies inside another hub's `assets/`
    folder (`hub/assets/docs`, a publisher's folder: where tab completion stops), where
    `command` (publish, mirror) would write a second hub that the server never serves and
    that makes `tfhub validate` of the first fail; before anything is read or made."""
    hub = docs_layout.enclosing_hub(root)
    if hub is None:
        return
    shown = shlex.quote(str(hub))
    raise errors.PublishTargetError(
        f"The hub folder {os.fspath(root)} is inside the hub folder {hub} (below its assets/ "
        f"folder): {command} would write a second hub there, which no server serves, and "
        f"`tfhub validate {shown}` would fail. Pass the hub folder itself ({shown}) as ROOT; "
        f"nothing was written. Received: root={os.fspath(root)!r}",
        path=os.fspath(root),
    )


def refuse_existing(handle: DocHandle, target: Path, *, ignore_doc: bool) -> None:
    """Raises VersionExistsError if a file of the version whose doc is `target` exists (doc,
    archive, signature summary, model folder; the doc not if `ignore_doc`). A doc alone (a
    Placeholder, or a Module doc written before its model was published) is no published
    version (the server answers it 404): the error says so, and how to publish its model."""
    found = [path for path in _existing(target) if not (ignore_doc and path == target)]
    if found == [target] and _is_placeholder(target):
        raise errors.VersionExistsError(
            f"{handle} is announced by a Placeholder doc ({target}), not published: to publish "
            "its model, pass --force with --doc FILE, the version's Module doc (without --doc, "
            "a starter doc replaces the placeholder).",
            handle=str(handle),
            path=os.fspath(target),
        )
    if found == [target] and target.is_file():
        raise errors.VersionExistsError(
            f"{handle} has a doc ({target}) but no model files in the hub, so it is not "
            f"published: to publish its model with that doc, pass --force --doc {target} "
            "(without --doc, a starter doc replaces it).",
            handle=str(handle),
            path=os.fspath(target),
        )
    if found:
        raise errors.VersionExistsError(
            f"{handle} is already published ({found[0]}); versions are immutable: publish a new "
            "version, or pass --force to replace it.",
            handle=str(handle),
            path=os.fspath(found[0]),
        )


def _is_placeholder(doc: Path) -> bool:
    """True if `doc` is a regular file whose first line is `# Placeholder ...` (a version
    announced, with no model files)."""
    if not doc.is_file():  # Not read: a named pipe would wait for a writer.
        return False
    try:
        first_line = read_doc_text(doc).partition("\n")[0]
        parsed = docs_format.parse_first_line(first_line)
    except (OSError, errors.TFHubError):
        return False
    return parsed is not None and parsed[0] is DocKind.PLACEHOLDER


def _existing(target: Path) -> list[Path]:
    """The files of a version that exist: doc, archive, signature summary, model folder."""
    paths = [target, docs_layout.archive_path(target), docs_layout.signatures_path(target)]
    return [path for path in paths if path.exists()] + docs_layout.model_dir_beside(target)


def refuse_links(folder: Path, archive: str, command: str) -> None:
    """Raises NotAModelError, naming the archive and the member, if the archive extracted into
    `folder` held a link (pointing inside it: others are refused on extraction), saying to run
    `command` again without it. A published archive holds only files and folders, as `pack`
    writes it: tensorflow_hub cannot extract links."""
    for current, subdirs, files in os.walk(folder):
        for name in sorted([*subdirs, *files]):
            link = Path(current) / name
            if not link.is_symlink():
                continue
            member = link.relative_to(folder).as_posix()
            raise errors.NotAModelError(
                f"The archive {archive} holds the symlink {member} -> {os.readlink(link)}: a "
                "published model holds only files and folders (tensorflow_hub cannot extract "
                "links). Put the file itself in the archive (`tar czhf` stores what links "
                f"point to) and {command} again. Received: model_dir={repr_escaped(archive)}",
                path=archive,
                reason=f"not a regular file: {member}",
            )


def refuse_refused_files(folder: str, model_dir: str | os.PathLike[str], command: str) -> None:
    """Raises NotAModelError, before the model is loaded, if `tfhub validate` would refuse the
    files of the model folder (`model_files.folder_problems`: a README or another file a
    SavedModel does not use, a file name outside tfhub.dev's pattern), saying to run `command`
    again once they are out; else publish would write a version that leaves the hub invalid.
    A folder without saved_model.pb is left to `check_loadable`, which says what it is."""
    if not (os.path.isdir(folder) and model_files_in(folder)):
        return
    problems = model_files.folder_problems(Path(folder))
    if not problems:
        return
    remedy = (
        "Save the model again (tf.saved_model.save; a copy cut short or a file that is no "
        "SavedModel gives this)"
        if any(model_files.is_damaged_proto(problem) for problem in problems)
        else "Leave them out of the model folder (or save the model again with other file names)"
    )
    raise errors.NotAModelError(
        f"The model {os.fspath(model_dir)} holds files a hub refuses (`tfhub validate` reports "
        f"them, as tfhub.dev's CI did): {'; '.join(problems)}. {remedy} and {command} again; "
        f"nothing was published. Received: model_dir={repr_escaped(os.fspath(model_dir))}",
        path=os.fspath(model_dir),
        reason=f"files a hub refuses: {problems[0]}",
    )


def check_loadable(folder: str, model_dir: str | os.PathLike[str]) -> Any:
    """`pack.check_loadable(folder)`, its error naming the archive `model_dir` if it was one."""
    try:
        return pack_lib.check_loadable(folder)
    except errors.NotAModelError as err:
        if folder == os.fspath(model_dir):
            raise
        archive = os.fspath(model_dir)
        raise errors.NotAModelError(
            f"The archive {archive} holds no loadable model ({err.reason}): it must hold a "
            "TF2 SavedModel or a TF1 Hub module, saved_model.pb at its top. Received: "
            f"model_dir={archive!r}",
            path=archive,
            reason=err.reason,
        ) from err
