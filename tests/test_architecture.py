"""The house's rules, checked on the source: no import circle, no module-level state outside the session object
(cabletags.workspace), one error family, storage that knows no model; and the session object's promises."""
import ast
import json
from pathlib import Path

import pytest
from conftest import TAXONOMY_MEMO, run_cli

PKG = Path(__file__).resolve().parent.parent / "cabletags"


def _modules() -> dict:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = list(f.relative_to(PKG.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return out


def _imports(mods: dict) -> dict:
    """module -> the cabletags modules it imports, at any depth of its code (a function's import counts)."""
    edges = {}
    for m, (f, is_pkg) in mods.items():
        pkg = m if is_pkg else m.rpartition(".")[0]
        out = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)] if node.level else []
                target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    out.add(sub if sub in mods else target)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        edges[m] = {t for t in out if t in mods and t != m}
    return edges


def _cycle(edges: dict) -> list | None:
    state, stack = {}, []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        stack.pop()
        return None

    for v in sorted(edges):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_anywhere():
    assert _cycle(_imports(_modules())) is None


def test_storage_knows_arrays_not_models():
    # (modelfiles is storage's first step: a folder's files and bytes, without numpy)
    edges = _imports(_modules())
    assert {m for m in edges["cabletags.scoring.storage"] if m.startswith("cabletags.scoring")} \
        <= {"cabletags.scoring.modelfiles"}
    assert not {m for m in edges["cabletags.scoring.modelfiles"] if m.startswith("cabletags.scoring")}


def test_stages_depend_downward_only():
    """vocabulary never reads cables or scores; reading never scores; no stage uses a surface or the session."""
    edges = _imports(_modules())
    below = {"vocabulary": ("reading", "scoring", "surfaces", "cli", "workspace", "api"),
             "reading": ("scoring", "surfaces", "cli", "workspace", "api"),
             "scoring": ("surfaces", "cli", "workspace", "api")}
    def stage(name):
        return name.split(".")[1] if "." in name else ""

    for m, targets in edges.items():
        for t in targets:
            assert not (stage(m) in below and stage(t) in below[stage(m)]), f"{m} imports {t}"


def _module_state(tree: ast.Module) -> list[str]:
    """Module-level mutable state: a name bound to an empty container (a cache starts empty), a memoizing
    decorator on a module-level function, a `global` statement."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            v = node.value
            empty = (isinstance(v, (ast.Dict, ast.List, ast.Set)) and not getattr(v, "keys", getattr(v, "elts", None))) \
                or (isinstance(v, ast.Call) and isinstance(v.func, ast.Name)
                    and v.func.id in ("dict", "list", "set", "Counter", "defaultdict", "OrderedDict") and not v.args)
            if empty:
                found.append(f"line {node.lineno}: empty container at module level")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                name = ast.unparse(d)
                if "lru_cache" in name or name.endswith("cache"):
                    found.append(f"line {node.lineno}: @{name} on {node.name}")
    found += [f"line {n.lineno}: global {', '.join(n.names)}" for n in ast.walk(tree) if isinstance(n, ast.Global)]
    return found


def test_the_state_finder_finds_caches():
    code = "import functools\n_C = {}\n_D: dict = dict()\n@functools.lru_cache(maxsize=1)\ndef f(): pass\n" \
           "def g():\n    global _C\n"
    assert len(_module_state(ast.parse(code))) == 4
    assert _module_state(ast.parse("TABLE = {'a': 1}\nNAMES = ('x',)\n")) == []


def test_no_module_level_state_outside_the_session_object():
    found = {}
    for m, (f, _) in _modules().items():
        if m != "cabletags.workspace":
            hits = _module_state(ast.parse(f.read_text(encoding="utf-8")))
            if hits:
                found[m] = hits
    assert not found


def test_every_error_a_user_can_cause_is_a_cabletags_error():
    import importlib
    import inspect

    from cabletags.errors import CabletagsError

    internal = {"_ReaderGone", "_TooLarge", "_ReadTimeout"}  # control flow inside the CLI and the service
    pytest.importorskip("fastapi")
    for m in _modules():
        if m.endswith(("__main__",)):
            continue
        mod = importlib.import_module(m)
        for name, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ == m and issubclass(cls, BaseException) and name not in internal:
                assert issubclass(cls, CabletagsError), f"{m}.{name}"


# --- the session object ------------------------------------------------------------------------------------
def test_get_normalizer_honours_typo_aliases_with_a_taxonomy_given():
    """Was a bug: get_normalizer(taxonomy, typo_aliases=False) ignored the flag whenever a taxonomy was passed."""
    from cabletags.vocabulary.normalizer import get_normalizer
    from cabletags.vocabulary.taxonomy import load_taxonomy

    tax = load_taxonomy()
    typo = next(f for f, (_, kind) in tax.aliases.items() if kind == "typo" and f.isalpha())
    with_typos = get_normalizer(tax).normalize(typo)
    without = get_normalizer(tax, typo_aliases=False).normalize(typo)
    assert with_typos.to_dict() != without.to_dict()  # the alias, or a general rule with its own confidence
    assert without.to_dict() == get_normalizer(load_taxonomy(typo_aliases=False)).normalize(typo).to_dict()
    assert get_normalizer(tax) is get_normalizer(tax)  # kept with the taxonomy, built once


def test_a_workspace_loads_once_and_sees_edits(taxonomy_copy):
    from cabletags import Workspace

    ws = Workspace(taxonomy_copy)
    ws.checked = TAXONOMY_MEMO  # the files this session already validated are not parsed again
    assert ws.load_taxonomy(taxonomy_copy) is ws.load_taxonomy(taxonomy_copy) and ws.loads["taxonomy"] == 1
    with open(taxonomy_copy / "program.yaml", "a", encoding="utf-8") as f:
        f.write("- code: KZZZ\n  title: A program of this test\n  status: current\n"
                "  provenance: {source: user, evidence: test}\n")
    edited = ws.load_taxonomy(taxonomy_copy)
    assert "KZZZ" in edited.entries and ws.loads["taxonomy"] == 2
    assert ws.normalizer(edited).normalize("KZZZ PHUM").codes == ["KZZZ", "PHUM"]


def test_a_workspace_loads_a_model_once_and_a_changed_one_again(tiny, tmp_path):
    import shutil

    from cabletags import Workspace

    ws = Workspace(model=tiny / "model")
    s = ws.suggester()
    assert ws.suggester() is s and ws.loads["model"] == 1
    copy = tmp_path / "m"
    shutil.copytree(tiny / "model", copy)
    assert ws.suggester(copy) is not s and ws.loads["model"] == 2
    doc = json.loads((copy / "card.json").read_text())
    (copy / "card.json").write_text(json.dumps(dict(doc, note="edited")))
    from cabletags.scoring.storage import write_manifest

    write_manifest(copy)  # a changed folder is a new key: never a stale hit
    assert ws.suggester(copy) is not ws.suggester(tiny / "model") and ws.loads["model"] == 3


def test_train_honours_the_global_taxonomy_options(tmp_path):
    """Was a bug: `cabletags --taxonomy-overlay X train` read the labels with the shipped taxonomy."""
    from tiny_corpus import make_records, write_jsonl

    recs = make_records(n=60, seed=3)
    for r in recs[::2]:
        r["tags"] += ", KZZZ"
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    ov = tmp_path / "ov.yaml"
    ov.write_text("kind: program\nentries:\n- code: KZZZ\n  title: A program of this test\n  status: current\n"
                  "  provenance: {source: user, evidence: test}\n")
    plan = run_cli("--taxonomy-overlay", str(ov), "train", "--corpus", str(corpus), "--out", str(tmp_path / "m"),
                   "--min-label-count", "5", "--dry-run", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert not (tmp_path / "m").exists()  # a dry run writes nothing
    p = json.loads(plan.stdout)
    assert p["records"] == 60 and "KZZZ" in p["labels"]["codes"] and p["target"] == "a new model folder"
    r = run_cli("--taxonomy-overlay", str(ov), "train", "--jobs", "1", "--corpus", str(corpus), "--out",
                str(tmp_path / "m"), "--min-label-count", "5", "--validation-share", "0.3", "--no-refit")
    assert r.returncode == 0, r.stderr
    assert "KZZZ" in json.loads((tmp_path / "m" / "model.json").read_text())["labels"]


def test_train_dry_run_refuses_what_a_run_refuses(tiny, tmp_path):
    r = run_cli("train", "--jobs", "1", "--corpus", str(tiny / "corpus.jsonl"), "--out", str(tiny / "model"), "--dry-run")
    assert r.returncode == 3 and "already holds a model" in r.stderr
    r = run_cli("train", "--jobs", "1", "--corpus", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "m"), "--dry-run")
    assert r.returncode == 3 and not (tmp_path / "m").exists()


def test_a_workspace_of_ones_own_does_the_librarys_verbs(tiny, tmp_path):
    from cabletags import Workspace

    ov = tmp_path / "ov.yaml"
    ov.write_text("kind: program\nentries:\n- code: KZZZ\n  title: A program of this test\n  status: current\n"
                  "  provenance: {source: user, evidence: test}\n")
    ws = Workspace(overlay=ov, model=tiny / "model")
    assert ws.normalize("TAGS: KZZZ, OSCEPREF").codes == ["KZZZ", "OSCE", "PREF"]
    assert [d.title for d in ws.decode(["KZZZ"])] == ["A program of this test"]
    cable = ws.read_cable("UNCLAS BAKU 000123\n\nTAGS: KZZZ, AJ\nSUBJECT: TEST\n\n1. (U) Text.\n")
    assert cable.tags.codes == ["KZZZ", "AJ"]
    rows = list(ws.suggest_many(["trafficking victims shelters", None], limit=3))
    assert len(rows) == 2 and len(rows[0]) == 3 and ws.suggester().source == str(tiny / "model")
    assert ws.loads == {"taxonomy": 1, "model": 1}
