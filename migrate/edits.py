"""Small edit builders shared by the rules (the ``_token_helpers`` of this package).

Deleting words keeps the layout: on one line the following blank is removed with the
word; a word alone on a ``\\``-continued line takes its whole line with it.
"""

from __future__ import annotations

from .dockercli import Opt
from .model import Edit
from .shell import Command, Word


def replace(word: Word, text: str) -> Edit:
    return Edit(word.start, word.end, text)


def index_of(cmd: Command, word: Word) -> int:
    for i, w in enumerate(cmd.words):
        if w.start == word.start and w.end == word.end:
            return i
    raise ValueError("word not in command")


def delete_words(cmd: Command, first: int, last: int) -> Edit:
    """Delete ``cmd.words[first..last]`` (inclusive) and the blank that separated them."""
    words = cmd.words
    src = cmd.doc.source
    before = src[words[first - 1].end : words[first].start] if first > 0 else None
    after = src[words[last].end : words[last + 1].start] if last + 1 < len(words) else None
    if after is not None and (b"\n" not in after or before is None):
        return Edit.delete(words[first].start, words[last + 1].start)
    if before is not None and (b"\n" not in before or after is None):
        return Edit.delete(words[first - 1].end, words[last].end)
    if before is not None and after is not None:
        start = words[first - 1].end + before.rfind(b"\n") + 1
        end = words[last].end + after.rfind(b"\n") + 1
        return Edit.delete(start, end)
    return Edit.delete(words[first].start, words[last].end)


def delete_opt(cmd: Command, opt: Opt) -> Edit:
    return delete_words(cmd, index_of(cmd, opt.words[0]), index_of(cmd, opt.words[-1]))


def replace_opt(cmd: Command, opt: Opt, text: str) -> list[Edit]:
    """Replace an option (one or two words) by ``text``, keeping the layout around it."""
    if len(opt.words) == 1 or b"\n" not in cmd.doc.source[opt.words[0].end : opt.words[1].start]:
        return [Edit(opt.start, opt.end, text)]
    i = index_of(cmd, opt.words[1])
    return [replace(opt.words[0], text), delete_words(cmd, i, i)]


def replace_value(opt: Opt, text: str) -> Edit:
    """Replace just the value of an option (keeps ``--flag=`` or ``-f``)."""
    assert opt.value_word is not None
    w = opt.value_word
    return Edit(
        w.start + len(w.text[: opt.value_offset].encode("utf-8", "surrogateescape")), w.end, text
    )


def byte_offset(word: Word, char_index: int) -> int:
    """Absolute byte offset of character ``char_index`` of ``word.text``."""
    return word.start + len(word.text[:char_index].encode("utf-8", "surrogateescape"))
