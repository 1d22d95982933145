"""Cables inside saved web pages: the page's layout detected from its markup, the cable's text and the page's own
metadata taken from where that layout puts them, never from menus, tag indexes, sidebars or footers.

Layouts (docs/reading.md has an example of each):

* ``cablegate``: a cablegate page, 2011 layout: a ``table.cable`` of Reference ID, Created, Released,
  Classification, Origin, then the cable in ``<pre>`` blocks (routing header, then text with pilcrow links
  before each paragraph number);
* ``plusd``: a WikiLeaks PlusD page: ``s_key``/``s_val`` pairs (Date, Canonical ID, TAGS as ``CODE - gloss``
  pairs and personal names ...), a *Content* pane with the telegram (shown again under *Raw content*: read once),
  a *Metadata* pane of ``Key: value`` lines, and a "Browse by TAGS" menu that is not the cable's;
* ``page``: any other page (the 2010 cablegate layout, mirrors, blogs): a ``<pre>`` holding a TAGS line is the
  cable; else the page's visible text without scripts, styles, navigation, headers, footers and forms.

The parser is lxml's HTML parser (libxml2): tolerant of broken markup and fast enough for a hundred pages a
second (BeautifulSoup over html.parser took 190 ms on a 190 KB page, lxml 4 ms).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Page", "is_html", "read_page", "page_reference_id"]

_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|div|pre|table|p|br|span|a|title)\b", re.I)
_DROP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "select", "svg",
         "template", "iframe", "object"}
_BLOCKS = {"p", "div", "pre", "br", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
           "article", "blockquote", "dd", "dt", "dl", "td", "th", "hr", "center", "code"}
_TAGS = re.compile(r"(?m)^[ \t]*TAGS?\s*:", re.I)
_REFERENCE_ID = re.compile(r"(?i)\b(?:reference\s+id|cable\s+id|canonical\s+id)\s*[:#]?\s*"
                           r"(\d\d(?:\d\d)?[A-Z][A-Z-]{2,}\d{1,6}(?:_[a-z])?)\b")


@dataclass
class Page:
    """What a page holds: the cable's text (header and body, as plain text), the page's own metadata about it
    (keys as the site prints them, lower case: "reference id", "created", "origin", "canonical id", "date",
    "tags", ...), the layout read, and TAGS given as metadata (PlusD) as ``[(code or None, gloss or name)]``."""

    text: str
    layout: str
    meta: dict = field(default_factory=dict)
    tag_pairs: list = field(default_factory=list)


def is_html(data: bytes | str) -> bool:
    """Whether `data` is markup: an HTML tag near its start (a cable's text has none)."""
    head = data[:20000]
    if isinstance(head, str):
        if "<" not in head:  # most bare cables: no tag, nothing to encode
            return False
        head = head.encode("utf-8", "replace")
    return b"<" in head and bool(_HTML.search(head))


def _root(data: bytes | str):
    import lxml.html
    from lxml import etree

    if isinstance(data, str):
        # lxml refuses str with an encoding declaration; markup is re-read as UTF-8 bytes
        data = data.encode("utf-8", "surrogatepass")
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)
    else:
        parser = lxml.html.HTMLParser(remove_comments=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        root = None
    return root


def _text(el, drop=_DROP, pres: set | None = None) -> str:
    """The visible text of an element: line breaks at block elements, dropped elements left out; iterative, so
    deeply nested markup cannot exhaust the stack. pres: receives the <pre> elements met inside (their text is part
    of this one)."""
    out: list[str] = []
    stack = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if pres is not None and tag == "pre" and not closing and node is not el:
            pres.add(node)
        tail = node.tail if node is not el else None  # the element's own tail is outside it
        if closing:
            if tag in _BLOCKS:
                out.append("\n")
            if tail:
                out.append(tail)
            continue
        if tag in drop:
            if tail:
                out.append(tail)
            continue
        if tag in _BLOCKS:
            out.append("\n")
        if node.text and tag:
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(out)


def _has_class(el, name: str) -> bool:
    return name in (el.get("class") or "").split()


def read_page(data: bytes | str) -> Page:
    """The cable of a saved page (bytes or text) and the page's metadata, by the page's layout."""
    root = _root(data)
    if root is None:
        return Page("", "page")
    for layout, reader in (("plusd", _plusd), ("cablegate", _cablegate)):
        page = reader(root)
        if page is not None:
            return page
    return _generic(root)


# --- cablegate, 2011 layout ------------------------------------------------------------------------------------
def _cablegate(root) -> Page | None:
    table = next((t for t in root.iter("table") if _has_class(t, "cable")), None)
    if table is None:
        return None
    rows = [r for r in table.iter("tr")]
    # a row's own cells (those of a table nested in a cell are that cell's text: each read once)
    heads = [" ".join(_text(th).split()).lower() for th in rows[0] if th.tag == "th"] if rows else []
    if "reference id" not in heads:
        return None
    meta = {}
    for row in rows[1:2]:
        cells = [" ".join(_text(td).split()) for td in row if td.tag == "td"]
        meta.update({h: v for h, v in zip(heads, cells) if v})
    # the cable: the <pre> blocks after the metadata table, in order (routing header, then the text); a <pre> inside
    # one is part of its text
    after, pres, inside = False, [], set()
    for el in root.iter():
        if el is table:
            after = True
        elif after and el.tag == "pre" and el not in inside:
            pres.append(_text(el, _DROP - {"header"}, inside))
    return Page("\n\n".join(p.strip("\n") for p in pres), "cablegate", meta)


# --- WikiLeaks PlusD ---------------------------------------------------------------------------------------------
def _plusd(root) -> Page | None:
    keys = [el for el in root.iter("div") if _has_class(el, "s_key")]
    panes = {}
    for tab in root.iter("div"):
        if _has_class(tab, "pane-tab"):
            # a tab's header and content are its own, never those of a tab inside it (searching all of it took
            # nested tabs time quadratic in their depth)
            head = _first_with_class(tab, "pane-header", "pane-tab")
            body = _first_with_class(tab, "pane-content", "pane-tab")
            if head is not None and body is not None:
                panes.setdefault(" ".join(_text(head).split()).lower(), body)
    if not keys or not ("content" in panes or "raw content" in panes):
        return None
    meta, pairs = {}, []
    values = _next_values(keys)
    for k in keys:
        val = values.get(k)
        if val is None:
            continue
        name = " ".join(_text(k).split()).rstrip(":").lower()
        value = " ".join(_text(val).split())
        meta.setdefault(name, value)
        if name == "tags":
            pairs = _tag_pairs(value)
    if "metadata" in panes:  # "Key: value" lines; continuation lines start with blanks
        last = None
        for line in _text(panes["metadata"]).splitlines():
            m = re.match(r"([A-Za-z][A-Za-z /]{0,40}):\s?(.*)$", line)
            if m and not line[:1].isspace():
                last = "md " + m.group(1).strip().lower()
                meta.setdefault(last, m.group(2).strip())
            elif last and line.strip() and last in meta:
                meta[last] = (meta[last] + " " + line.strip()).strip()
    content = panes.get("content") if "content" in panes else panes["raw content"]
    # the Content pane holds the header (hidden) and the text; the button between them is chrome. The two are one
    # telegram cut in two, sometimes inside its REF list: joined by one line break, as the Raw content pane shows
    # them (the blank lines of their markup would end the list)
    head = next((d for d in content.iter("div") if _has_class(d, "text-header")), None)
    body = next((d for d in content.iter("div") if _has_class(d, "text-content")), None)
    if head is not None and body is not None:
        text = _text(head).strip("\n") + "\n" + _text(body).strip("\n") + "\n"
    else:
        text = _text(content, _DROP | {"button"})
        text = text.replace("Show\u00a0Headers", "\n").replace("Show Headers", "\n")
    return Page(text, "plusd", meta, pairs)


def _first_with_class(el, name: str, apart: str):
    """The first <div> of class `name` inside `el`, in document order, outside any <div> of class `apart` in it."""
    stack = list(reversed(el))
    while stack:
        node = stack.pop()
        if node.tag == "div":
            if _has_class(node, name):
                return node
            if _has_class(node, apart):
                continue
        stack.extend(reversed(node))
    return None


def _next_values(keys) -> dict:
    """key -> the first sibling after it of class s_val (keys without one left out): each parent's children read
    once, from the last (a key looking along its siblings for one took a page of keys time quadratic in them)."""
    out, parents = {}, {}
    for k in keys:
        parent = k.getparent()
        if parent is not None:
            parents[id(parent)] = parent
    for parent in parents.values():
        following = None
        for child in reversed(parent):
            if following is not None:
                out[child] = following
            if isinstance(child.tag, str) and _has_class(child, "s_val"):
                following = child
    return {k: out[k] for k in keys if k in out}


def _tag_pairs(value: str) -> list:
    """PlusD's TAGS value ("AMBATIELOS, ANTHONY | GR - Greece; Crete | PINS - Political Affairs--Internal
    Security") as [(code, gloss)] and [(None, personal name)]."""
    out = []
    for item in value.split("|"):
        item = item.strip()
        if not item:
            continue
        m = re.match(r"([A-Z0-9][A-Z0-9-]{1,9})\s+-\s+(.*)$", item)
        out.append((m.group(1), m.group(2).strip()) if m else
                   ((item, "") if re.fullmatch(r"[A-Z0-9][A-Z0-9-]{1,9}", item) else (None, item)))
    return out


# --- any other page ----------------------------------------------------------------------------------------------
def _generic(root) -> Page:
    meta = {}
    inside: set = set()  # <pre> elements whose text was part of one read already: no TAGS line in it either
    for pre in root.iter("pre"):
        if pre in inside:  # (reading each of nested <pre>s again took time quadratic in their depth)
            continue
        inner = _text(pre, _DROP - {"header"}, inside)
        if _TAGS.search(inner):
            rid = page_reference_id(_text(root))
            if rid:
                meta["reference id"] = rid
            return Page(inner, "page", meta)
    body = root.find("body")
    text = _text(body if body is not None else root)
    rid = page_reference_id(text)
    if rid:
        meta["reference id"] = rid
    return Page(text, "page", meta)


def page_reference_id(text: str) -> str | None:
    """The reference id a page prints as such ("Reference ID: 09BAKU141"), or None."""
    m = _REFERENCE_ID.search(text)
    return m.group(1).upper() if m else None
