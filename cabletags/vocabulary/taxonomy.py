"""The taxonomy: load, validate and look up TAGS codes.

The data lives in YAML files (one per kind: subject, program, geographic, organization, plus
``words.yaml`` and ``plainwords.txt`` for the normalizer). Loading validates every file against
``schema.json`` and then checks what a schema cannot (duplicate codes, aliases that collide with a code
or point nowhere, ``replaced_by`` targets). Errors name the file and the entry.

Start-up matters (``cabletags decode`` must be quick), so the validated result is cached as JSON in the
user's cache directory, keyed by a hash of the files' bytes: an edited file is re-validated.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError

__all__ = ["Alias", "Entry", "Taxonomy", "TaxonomyError", "load_taxonomy", "validate_taxonomy",
           "default_taxonomy_dir", "shipped_taxonomy_dir", "taxonomy_source", "TaxonomySource", "KINDS", "TOPIC_KINDS",
           "ERAS"]

# the one definition of kinds and eras; every module and surface takes them from here
KINDS = ("subject", "program", "geographic", "organization")
TOPIC_KINDS = ("subject", "program")  # the four-letter codes of what a cable is about (PHUM, KTIP)
ERAS = ("cablegate", "1970s", "current")  # cablegate: the default; see taxonomy/eras.yaml and docs/taxonomy.md
TAXONOMY_VERSION = "1.2"  # bump when the curated content changes meaningfully; the hash tracks every edit
_CACHE_FORMAT = 8


class TaxonomyError(DataError, ValueError):
    """A taxonomy file is missing, unreadable or invalid (exit 4). The message names the file and the entry;
    `problems` lists every problem found (one message each)."""

    subject = "taxonomy"

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class Alias:
    form: str
    type: str
    evidence: str | None = None


@dataclass(frozen=True)
class Entry:
    code: str
    kind: str
    title: str | None
    status: str
    provenance: dict
    category: dict | None = None
    scope: str | None = None
    note: str | None = None
    aliases: tuple[Alias, ...] = ()
    replaced_by: str | None = None
    iso3166: str | None = None
    corpus_count: int = 0
    takes_name: bool = False
    # {text, reference, ocr, proofread} what the code covers, from the 1974 handbook; {none_printed, reference} when
    # the handbook prints none
    definition: dict | None = None
    attested: tuple = ()  # ({source, title?, reference?, first?, last?, count?}, ...): where the code is found
    status_basis: str | None = None  # the evidence the status rests on
    usage: tuple = ()  # ({note, count?, evidence}, ...): where practice differed from the list

    @property
    def verified(self) -> bool:
        """True when the title comes from a source (the handbook or a listed source), not a guess."""
        return self.provenance.get("source") in ("handbook", "listed")

    def to_dict(self) -> dict:
        d = {"code": self.code, "kind": self.kind, "title": self.title, "status": self.status,
             "provenance": dict(self.provenance)}
        for k in ("category", "scope", "note", "replaced_by", "iso3166"):
            v = getattr(self, k)
            if v:
                d[k] = v
        if self.aliases:
            d["aliases"] = [{k: v for k, v in vars(a).items() if v} for a in self.aliases]
        if self.definition:
            d["definition"] = dict(self.definition)
        if self.attested:
            d["attested"] = [dict(a) for a in self.attested]
        if self.status_basis:
            d["status_basis"] = self.status_basis
        if self.usage:
            d["usage"] = [dict(u) for u in self.usage]
        return d


@dataclass
class Taxonomy:
    """All codes, keyed by code, with the lookups the normalizer needs.

    entries: code -> Entry; aliases: FORM -> (code, alias type); words / junk: WORD -> reason;
    plainwords: lower-cased ordinary words; version: "1.1+<hash of the files>".
    """

    entries: dict[str, Entry]
    aliases: dict[str, tuple[str, str]]
    words: dict[str, str]
    junk: dict[str, str]
    plainwords: frozenset[str]
    version: str
    repaired_forms: dict = field(default_factory=dict)
    source: str = ""
    typo_aliases: bool = True
    wordmodel: dict | None = None  # character n-gram counts of the plain words (cabletags.vocabulary.wordmodel)
    eras: dict = field(default_factory=dict)  # {"1970s": {"codes": {CODE: {title, evidence}}, ...}, "current": {...}}
    _by_kind: dict = field(default_factory=dict, repr=False)
    _iso_index: dict | None = field(default=None, repr=False)  # ISO 3166 alpha-2 -> geographic entry
    # what is made from this taxonomy alone (its normalizer, its variant without typo aliases): kept with it, so
    # whoever holds the taxonomy holds them, and nothing is kept anywhere else
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def derived(self, name: str, make):
        """The object `make()` builds from this taxonomy, built once and kept with it (its normalizer, say)."""
        if name not in self._derived:
            self._derived[name] = make()
        return self._derived[name]

    def without_typo_aliases(self) -> "Taxonomy":
        """This taxonomy without its aliases of type 'typo' (to measure what the general repair rules carry
        alone); itself when it has none."""
        if not self.typo_aliases:
            return self
        return self.derived("no-typo", lambda: Taxonomy(
            entries=self.entries, aliases={f: a for f, a in self.aliases.items() if a[1] != "typo"},
            words=self.words, junk=self.junk, plainwords=self.plainwords, version=self.version,
            repaired_forms=self.repaired_forms, source=self.source, typo_aliases=False, wordmodel=self.wordmodel,
            eras=self.eras))

    def __contains__(self, code: str) -> bool:
        return code in self.entries

    def get(self, code: str) -> Entry | None:
        return self.entries.get(code)

    def era_codes(self, era: str) -> dict:
        """CODE -> {title, kind, names, evidence, note, section, region, other} of an era's table in eras.yaml ("1970s"); empty when it has none."""
        return (self.eras.get(era) or {}).get("codes") or {}

    def by_kind(self, kind: str) -> list[Entry]:
        if not self._by_kind:
            for e in self.entries.values():
                self._by_kind.setdefault(e.kind, []).append(e)
        return self._by_kind.get(kind, [])


def default_taxonomy_dir() -> Path:
    """$CABLETAGS_TAXONOMY when set, else the shipped taxonomy."""
    env = os.environ.get("CABLETAGS_TAXONOMY")
    return Path(env) if env else shipped_taxonomy_dir()


def shipped_taxonomy_dir() -> Path:
    """The shipped taxonomy: package data when installed, the repository's taxonomy/ otherwise."""
    try:
        from importlib.util import find_spec

        spec = find_spec("cabletags.taxonomy_data")
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                if (Path(loc) / "subject.yaml").is_file():
                    return Path(loc)
    except (ImportError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "taxonomy"


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise TaxonomyError(f"{directory}: taxonomy directory not found")
    files = [directory / f"{k}.yaml" for k in KINDS] + [directory / "words.yaml", directory / "plainwords.txt"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise TaxonomyError(f"{directory}: missing taxonomy file(s): {', '.join(missing)}")
    return files


ERAS_FILE = "eras.yaml"  # optional: a taxonomy directory without it decodes Cablegate-era meanings only
ERA_NAMES = ("1970s", "cablegate", "current")


def _eras(path: Path, entries: dict, problems: list[str]) -> dict:
    """eras.yaml as {"1970s": {"source", "codes": {CODE: {title, kind, names, evidence, note, section, region,
    other}}}, "current": {"source", "rule", "short_names": {CODE: name}, "added": {CODE: name}, ...}}; `other`: the
    code means something else in Cablegate; short_names/added: where GENC differs from ISO 3166-1."""
    if not path.is_file():
        return {}
    doc = _yaml_load(path) or {}
    eras = doc.get("eras") if isinstance(doc, dict) else None
    if not isinstance(eras, dict):
        problems.append(f"{path}: expected a mapping 'eras' of era name -> table")
        return {}
    out = {}
    for name, table in eras.items():
        if name not in ERA_NAMES or not isinstance(table, dict):
            problems.append(f"{path}: era {name!r}: expected one of {', '.join(ERA_NAMES)} with a table")
            continue
        if "rule" in table:
            if table["rule"] != "iso3166":
                problems.append(f"{path}: era {name}: unknown rule {table['rule']!r} (known: iso3166)")
            out[name] = {"source": str(table.get("source", "")), "rule": table["rule"],
                         "difference_source": str(table.get("difference_source", "")),
                         "verified": bool(table.get("verified", False))}
            for part in ("short_names", "added"):  # GENC's differences from ISO 3166-1: {code: name}
                found = {}
                for i, c in enumerate(table.get(part) or [], 1):
                    if not (isinstance(c, dict) and isinstance(c.get("code"), str) and len(c["code"]) == 2
                            and isinstance(c.get("name"), str) and c["name"]):
                        problems.append(f"{path}: era {name} {part} item {i}: needs a two-letter 'code' and a 'name'")
                        continue
                    found[c["code"]] = c["name"]
                out[name][part] = found
            continue
        codes = {}
        for i, c in enumerate(table.get("codes") or [], 1):
            if not (isinstance(c, dict) and isinstance(c.get("code"), str) and isinstance(c.get("title"), str)):
                problems.append(f"{path}: era {name} item {i}: needs 'code' and 'title' strings")
                continue
            where = f"{path}: era {name} item {i} ({c['code']})"
            names = c.get("names") or []
            if not (isinstance(names, list) and all(isinstance(x, str) for x in names)):
                problems.append(f"{where}: 'names' must be a list of strings")
                names = []
            kind = c.get("kind", "geographic")
            if kind not in KINDS:
                problems.append(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
                continue
            if c.get("cablegate", "same") not in ("same", "other"):
                problems.append(f"{where}: 'cablegate' must be 'same' or 'other'")
            if c["code"] in codes:
                problems.append(f"{where}: listed twice")
            codes[c["code"]] = {"title": c["title"], "kind": kind, "names": names,
                                "evidence": str(c.get("evidence", "")), "note": str(c.get("note", "")),
                                "section": str(c.get("section", "")), "region": bool(c.get("region")),
                                "other": c.get("cablegate") == "other"}
        out[name] = {"source": str(table.get("source", "")), "codes": codes}
    return out


def _cache_dir() -> Path:
    base = os.environ.get("CABLETAGS_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cabletags"


MAX_YAML_BYTES = 16 << 20


def _hash_file(h, path: Path) -> None:
    """Feed a taxonomy file to hash `h` in blocks: a regular file of at most MAX_YAML_BYTES (checked before and
    while reading), so that a huge or endless file is refused with memory flat."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise TaxonomyError(f"{path}: not a regular file")
        if st.st_size > MAX_YAML_BYTES:
            raise TaxonomyError(f"{path}: larger than {MAX_YAML_BYTES >> 20} MB")
        read = 0
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                read += len(block)
                if read > MAX_YAML_BYTES:
                    raise TaxonomyError(f"{path}: larger than {MAX_YAML_BYTES >> 20} MB")
                h.update(block)
    except OSError as e:
        raise TaxonomyError(f"{path}: cannot read: {e.strerror}") from None


def _yaml_load(path: Path):
    """A taxonomy YAML file as data: at most MAX_YAML_BYTES, and without anchors or aliases (a few bytes of
    nested aliases expand to gigabytes; the shipped files need none)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    try:
        with path.open("rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)
        if len(data) > MAX_YAML_BYTES:
            raise TaxonomyError(f"{path}: larger than {MAX_YAML_BYTES >> 20} MB")
        if b"&" in data or b"*" in data:  # only then can the file hold anchors or aliases
            for ev in yaml.parse(data, Loader=loader):
                if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                    mark = ev.start_mark
                    raise TaxonomyError(f"{path}: line {mark.line + 1}: YAML anchors and aliases are not allowed "
                                        "in taxonomy files")
        return yaml.load(data, Loader=loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise TaxonomyError(f"{path}:{where} not valid YAML: {getattr(e, 'problem', e)}") from None
    except OSError as e:
        raise TaxonomyError(f"{path}: cannot read: {e.strerror}") from None


def _schema_errors(doc, schema) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        where = ""
        if len(path) >= 2 and path[0] == "entries" and isinstance(path[1], int):
            try:
                code = doc["entries"][path[1]].get("code", "?")
            except (AttributeError, IndexError, KeyError, TypeError):
                code = "?"
            rest = "/".join(str(p) for p in path[2:])
            where = f"entry {path[1] + 1} ({code})" + (f" field {rest}" if rest else "")
        elif path:
            where = "/".join(str(p) for p in path)
        msg = err.message if len(err.message) <= 200 else err.message[:200] + "…"  # never a huge value
        out.append(f"{where + ': ' if where else ''}{msg}")
    return out


def _checked(path: Path, schema: dict, memo: dict | None) -> tuple:
    """A taxonomy file's document and its schema problems; `memo` (a Workspace's: sha256 of a file's bytes ->
    result) remembers them by the file's content, so re-validating a directory where one file changed reads the
    others once. Callers never mutate the result."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)  # never more than a taxonomy file may hold
    except OSError as e:
        raise TaxonomyError(f"{path}: cannot read: {e.strerror}") from None
    if len(data) > MAX_YAML_BYTES:
        return _yaml_load(path), []  # raises: too large
    key = hashlib.sha256(data).hexdigest()
    if memo is not None and key in memo:
        return memo[key]
    doc = _yaml_load(path)
    out = (doc, _schema_errors(doc, schema) if isinstance(doc, dict) else [])
    if memo is not None:
        memo[key] = out
    return out


def _compile(files: list[Path], overlays: list[Path], memo: dict | None = None) -> dict:
    """Validate the YAML files and return the plain-data form that is cached."""
    # the schema is the package's contract, so a user's taxonomy is checked against the shipped one
    schema = json.loads((shipped_taxonomy_dir() / "schema.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    entries: dict[str, dict] = {}
    origin: dict[str, str] = {}

    def add_file(path: Path, overlay: bool):
        doc, errs = _checked(path, schema, memo)
        if not isinstance(doc, dict):
            problems.append(f"{path}: expected a mapping with 'kind' and 'entries'")
            return
        if errs:
            problems.extend(f"{path}: {e}" for e in errs)
            return
        kind = doc["kind"]
        if not overlay and path.stem != kind:
            problems.append(f"{path}: file declares kind '{kind}' but is named for '{path.stem}'")
        for i, e in enumerate(doc["entries"], 1):
            code = e["code"]
            if e.get("kind", kind) != kind:
                problems.append(f"{path}: entry {i} ({code}): bad kind '{e['kind']}' in a '{kind}' file")
                continue
            if code in entries and not overlay:
                problems.append(f"{path}: entry {i} ({code}): duplicate code (also in {origin[code]})")
                continue
            if overlay:
                # an overlay speaks for its user, never for a source: its provenance says so
                prov = e.get("provenance") or {}
                claimed = prov.get("source")
                e = dict(e, provenance={"source": "user", "reference": str(path),
                                        **({"evidence": prov["evidence"]} if prov.get("evidence") else {}),
                                        **({"note": f"the overlay claimed source {claimed!r}"}
                                           if claimed not in (None, "user") else {})})
            if overlay and code in entries:
                if entries[code]["kind"] != kind:
                    problems.append(f"{path}: entry {i} ({code}): an overlay cannot change the kind of a code "
                                    f"({entries[code]['kind']} -> {kind})")
                    continue
                merged = dict(entries[code])
                merged.update({k: v for k, v in e.items() if k != "aliases"})
                merged["aliases"] = entries[code].get("aliases", []) + e.get("aliases", [])
                merged["kind"] = kind
                entries[code] = merged
            else:
                entries[code] = dict(e, kind=kind)
            origin[code] = f"{path.name} entry {i}"

    for f in files[:4]:
        add_file(f, overlay=False)
    for ov in overlays:
        for f in ([ov] if ov.is_file() else sorted(ov.glob("*.yaml"))):
            if f.name != "words.yaml":
                add_file(f, overlay=True)

    try:
        words_doc = _yaml_load(files[4]) or {}
    except TaxonomyError as e:
        problems.append(str(e))
        words_doc = {}
    if not isinstance(words_doc, dict):
        problems.append(f"{files[4]}: expected a mapping with 'words', 'junk' and 'repaired_forms' lists")
        words_doc = {}
    for key in ("words", "junk", "repaired_forms"):
        if not isinstance(words_doc.get(key) or [], list):
            problems.append(f"{files[4]}: '{key}' must be a list")
            words_doc[key] = []
    words, junk = {}, {}
    for key, target in (("words", words), ("junk", junk)):
        for i, w in enumerate(words_doc.get(key) or [], 1):
            if not isinstance(w, dict) or not isinstance(w.get("word"), str) or not isinstance(w.get("reason"), str):
                problems.append(f"{files[4]}: {key} item {i}: needs 'word' and 'reason' strings")
                continue
            if w["word"] in entries:
                problems.append(f"{files[4]}: {key} item {i} ({w['word']}): is a taxonomy code, cannot be a non-code word")
            target[w["word"].upper()] = w["reason"]

    repaired = {}
    for i, w in enumerate(words_doc.get("repaired_forms") or [], 1):
        if not isinstance(w, dict) or not isinstance(w.get("form"), str) or not isinstance(w.get("codes"), list):
            problems.append(f"{files[4]}: repaired_forms item {i}: needs 'form', 'codes' and 'reason'")
            continue
        bad = [c for c in w["codes"] if not isinstance(c, str) or c not in entries]
        if bad:
            problems.append(f"{files[4]}: repaired_forms item {i} ({w['form']}): codes {bad} not in the taxonomy")
        repaired[w["form"]] = {"codes": w["codes"], "reason": w.get("reason", "")}

    aliases: dict[str, list] = {}
    for code, e in entries.items():
        where = origin[code]
        for a in e.get("aliases", []):
            form = a["form"]
            if form in entries:
                problems.append(f"{where} ({code}): alias '{form}' collides with the real code {form}")
            elif form in aliases and aliases[form][0] != code:
                problems.append(f"{where} ({code}): alias '{form}' already points to {aliases[form][0]}")
            else:
                aliases[form] = [code, a["type"]]
        rb = e.get("replaced_by")
        if rb and rb not in entries:
            problems.append(f"{where} ({code}): replaced_by '{rb}' points to no code")
    for form, (code, _) in aliases.items():
        if code not in entries:  # only possible through overlays editing codes away
            problems.append(f"alias '{form}' points to unknown code {code}")
    plain = []
    try:
        plain = [w.strip() for w in files[5].read_text(encoding="utf-8").splitlines() if w and not w.startswith("#")]
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{files[5]}: unreadable word list ({e.__class__.__name__}); it must be UTF-8 text")
    if problems:
        raise TaxonomyError(problems[0] if len(problems) == 1 else
                            f"{len(problems)} problems; first: {problems[0]}\n" + "\n".join(problems[1:]), problems)
    eras = _eras(files[0].parent / ERAS_FILE, entries, problems)
    if problems:
        raise TaxonomyError(problems[0] if len(problems) == 1 else
                            f"{len(problems)} problems; first: {problems[0]}\n" + "\n".join(problems[1:]), problems)
    from .wordmodel import char_ngram_counts

    tri, bi = char_ngram_counts(plain)
    return {"format": _CACHE_FORMAT, "entries": entries, "aliases": aliases, "words": words, "junk": junk,
            "repaired_forms": repaired, "plainwords": plain, "wordmodel": {"tri": tri, "bi": bi}, "eras": eras}


def _valid_cache(data, digest: str) -> bool:
    """A cache file's content is usable: this format, these files, and every part of the right type."""
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT or data.get("digest") != digest:
        return False
    types = {"entries": dict, "aliases": dict, "words": dict, "junk": dict, "repaired_forms": dict, "plainwords": list,
             "wordmodel": dict, "eras": dict}
    if not all(isinstance(data.get(k), t) for k, t in types.items()):
        return False
    entry_keys = {"kind", "status", "provenance"}
    return all(isinstance(e, dict) and entry_keys <= e.keys() for e in data["entries"].values()) and \
        all(isinstance(v, list) and len(v) == 2 for v in data["aliases"].values())


def validate_taxonomy(directory: str | Path | None = None, memo: dict | None = None) -> list[str]:
    """Every problem in a taxonomy directory, one message each (empty list: valid)."""
    try:
        _compile(_files(Path(directory) if directory else default_taxonomy_dir()), [], memo)
    except TaxonomyError as e:
        return e.problems
    return []


@dataclass(frozen=True)
class TaxonomySource:
    """The files a taxonomy is made from and the digest of their bytes: `key` names what a load would give
    (an edited file gives a new key), so a Workspace keeps one Taxonomy per key."""

    directory: Path
    files: tuple[Path, ...]
    overlays: tuple[Path, ...]
    digest: str

    def key(self, typo_aliases: bool = True) -> tuple:
        return (str(self.directory.resolve()), self.digest, bool(typo_aliases))


def taxonomy_source(path: str | Path | None = None, overlay: str | Path | None = None) -> TaxonomySource:
    """The files of the taxonomy at `path` (None: $CABLETAGS_TAXONOMY or the shipped one) with `overlay`, and
    the digest of their bytes. Raises TaxonomyError for a missing overlay or one that is not a file or folder."""
    directory = Path(path) if path else default_taxonomy_dir()
    overlays = [Path(overlay)] if overlay else []
    for ov in overlays:
        if not ov.exists():
            raise TaxonomyError(f"{ov}: overlay not found")
        if not (ov.is_file() or ov.is_dir()):  # /dev/null, a FIFO, a link to /dev/zero: never silently nothing
            raise TaxonomyError(f"{ov}: overlay is not a regular file or a folder")
    files = _files(directory)
    ov_files = [f for ov in overlays for f in ([ov] if ov.is_file() else sorted(ov.glob("*.yaml")))]
    for ov in overlays:
        if ov.is_dir() and not any(f.parent == ov for f in ov_files):
            raise TaxonomyError(f"{ov}: overlay folder holds no .yaml file")
    h = hashlib.sha256()
    eras_file = directory / ERAS_FILE
    for f in files + ov_files + ([eras_file] if eras_file.is_file() else []):
        h.update(f.name.encode())
        _hash_file(h, f)
    return TaxonomySource(directory, tuple(files), tuple(ov_files), h.hexdigest()[:12])


def load_taxonomy(path: str | Path | None = None, *, overlay: str | Path | None = None,
                  typo_aliases: bool = True, use_cache: bool = True, source: TaxonomySource | None = None,
                  memo: dict | None = None) -> Taxonomy:
    """Load and validate a taxonomy directory (default: the shipped one), optionally with an overlay.

    path: directory holding subject/program/geographic/organization.yaml, words.yaml, plainwords.txt.
    overlay: a YAML file or directory of files in the same format laid over it (new codes, extra
    aliases, corrected titles); typo_aliases: False drops aliases of type 'typo' (to measure how much
    the general repair rules carry alone). Raises TaxonomyError naming the file and entry.

    Each call loads anew (from the validated copy in the user's cache directory when the files are unchanged);
    a program that loads more than once keeps its taxonomies in a cabletags.Workspace, which is what
    ``cabletags.load_taxonomy`` does. source: the files, when taxonomy_source() already found them; memo: a
    Workspace's memory of validated files.
    """
    src = source or taxonomy_source(path, overlay)
    files, ov_files, digest = list(src.files), list(src.overlays), src.digest
    data = None
    cache = _cache_dir() / f"taxonomy-{_CACHE_FORMAT}-{digest}.json"
    if use_cache and cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not _valid_cache(data, digest):
            data = None  # a damaged or foreign cache file is rebuilt, never trusted
    if data is None:
        data = dict(_compile(files, ov_files, memo), digest=digest)
        if use_cache:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(data), encoding="utf-8")
                os.replace(tmp, cache)
            except OSError:
                pass  # a read-only home only costs start-up time
    entries = {}
    for code, e in data["entries"].items():
        entries[code] = Entry(
            code=code, kind=e["kind"], title=e.get("title"), status=e["status"], provenance=e["provenance"],
            category=e.get("category"), scope=e.get("scope"), note=e.get("note"),
            aliases=tuple(Alias(a["form"], a["type"], a.get("evidence")) for a in e.get("aliases", [])),
            replaced_by=e.get("replaced_by"), iso3166=e.get("iso3166"),
            corpus_count=e.get("corpus_count", 0), takes_name=e.get("takes_name", False),
            definition=e.get("definition"), attested=tuple(e.get("attested", ())),
            status_basis=e.get("status_basis"), usage=tuple(e.get("usage", ())))
    aliases = {f: (c, t) for f, (c, t) in data["aliases"].items() if typo_aliases or t != "typo"}
    tax = Taxonomy(entries=entries, aliases=aliases, words=data["words"], junk=data["junk"],
                   plainwords=frozenset(data["plainwords"]), version=f"{TAXONOMY_VERSION}+{digest}",
                   repaired_forms=data.get("repaired_forms", {}), wordmodel=data.get("wordmodel"), eras=data["eras"],
                   source=str(src.directory), typo_aliases=typo_aliases)
    return tax
