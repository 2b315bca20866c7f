"""The README and the pages under docs/ point at things that exist: make targets and local links.

Nothing here pins prose: a page may say anything, but a command it tells a reader to run and a page it links to
must be there.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
# [text](target) and ![alt](target), the target up to a space, `)` or `#`.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")
FENCE = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
# `make X` as a command: at the start of a line (a shell block) or of inline code, never in a sentence.
MAKE_COMMAND = re.compile(r"(?:^|`)make ([a-z][\w-]*)", flags=re.MULTILINE)


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))


def make_commands(document: Path) -> set[str]:
    return set(MAKE_COMMAND.findall(document.read_text()))


def local_links(document: Path) -> set[str]:
    """Relative link targets of a Markdown document, outside code blocks (code may show any text)."""
    text = FENCE.sub("", document.read_text())
    return {target for target in LINK.findall(text) if target and "://" not in target and ":" not in target}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_make_command_names_a_target_of_the_makefile(document: Path) -> None:
    named = make_commands(document)

    assert named - make_targets() == set(), f"{document.name} names make targets the Makefile lacks"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_local_link_resolves_to_a_file(document: Path) -> None:
    missing = {target for target in local_links(document) if not (document.parent / target).exists()}

    assert missing == set(), f"{document.name} links to files that do not exist"


def test_the_readme_links_to_every_page_under_docs() -> None:
    # The README is the front door: a page no link reaches is a page no newcomer finds.
    linked = {(REPO / target).resolve() for target in local_links(REPO / "README.md")}
    pages = {page.resolve() for page in (REPO / "docs").glob("*.md")}

    assert pages - linked == set(), "pages under docs/ the README does not link to"


def test_the_readme_shows_the_three_commands() -> None:
    assert {"synth", "test", "local"} <= make_commands(REPO / "README.md")


def test_a_broken_link_and_an_unknown_target_are_caught(tmp_path: Path) -> None:
    document = tmp_path / "page.md"
    document.write_text(
        "To make sure, run `make no-such-target`, then read [the guide](missing.md#part)"
        " and [AWS](https://aws.amazon.com).\n"
        "```bash\nmake synth   # [not a link](nowhere.md)\n```\n"
    )

    assert local_links(document) == {"missing.md"}
    assert make_commands(document) == {"no-such-target", "synth"}
    assert "no-such-target" not in make_targets()
