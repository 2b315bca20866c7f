"""The README and the pages under docs/ point at things that exist: make targets, local links and their anchors.

Nothing here pins prose: a page may say anything, but a command it tells a reader to run and a page it links to
must be there.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
# [text](target#anchor) and ![alt](target), the target and the anchor each possibly empty.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s#]*)(?:#([^)\s]*))?\)")
FENCE = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
# `make X` as a command: at the start of a line (a shell block) or of inline code, never in a sentence.
MAKE_COMMAND = re.compile(r"(?:^|`)make ([a-z][\w-]*)", flags=re.MULTILINE)


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))


def make_commands(document: Path) -> set[str]:
    return set(MAKE_COMMAND.findall(document.read_text()))


def local_links(document: Path) -> set[tuple[Path, str]]:
    """(file, anchor) of every relative link of a Markdown document outside code blocks (code may show any text)."""
    text = FENCE.sub("", document.read_text())
    return {
        ((document.parent / target).resolve() if target else document.resolve(), anchor)
        for target, anchor in LINK.findall(text)
        if ":" not in target
    }


def anchors(document: Path) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", document.read_text()), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_make_command_names_a_target_of_the_makefile(document: Path) -> None:
    named = make_commands(document)

    assert named - make_targets() == set(), f"{document.name} names make targets the Makefile lacks"


def broken_links(document: Path) -> set[tuple[str, str]]:
    """(file, anchor) of each local link whose file does not exist, or whose page has no such heading."""
    return {
        (target.name, anchor)
        for target, anchor in local_links(document)
        if not target.exists() or (anchor and target.suffix == ".md" and anchor not in anchors(target))
    }


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_local_link_resolves_to_a_file_and_heading(document: Path) -> None:
    assert broken_links(document) == set(), f"{document.name} links to files or headings that do not exist"


def test_the_readme_links_to_every_page_under_docs() -> None:
    # The README is the front door: a page no link reaches is a page no newcomer finds.
    linked = {target for target, _ in local_links(REPO / "README.md")}
    pages = {page.resolve() for page in (REPO / "docs").glob("*.md")}

    assert pages - linked == set(), "pages under docs/ the README does not link to"


def test_the_readme_shows_the_three_commands() -> None:
    assert {"synth", "test", "local"} <= make_commands(REPO / "README.md")


def test_a_broken_link_and_an_unknown_target_are_caught(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Its part, in short\n")
    document = tmp_path / "page.md"
    document.write_text(
        "# This page\n"
        "To make sure, run `make no-such-target`, then read [the guide](missing.md#part), [this](#this-page),"
        " [that](other.md#its-part-in-short), [not that](other.md#nope) and [AWS](https://aws.amazon.com).\n"
        "```bash\nmake synth   # [not a link](nowhere.md)\n```\n"
    )

    assert broken_links(document) == {("missing.md", "part"), ("other.md", "nope")}
    assert make_commands(document) == {"no-such-target", "synth"}
    assert "no-such-target" not in make_targets()
