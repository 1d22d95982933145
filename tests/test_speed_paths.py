"""The fast paths give the same results as the plain ones: TF-IDF without scikit-learn, the anchored
patterns, and the transposed weights converted once (speed itself is measured in scripts/benchmarks/)."""
import re

import numpy as np
import pytest
from tiny_corpus import make_records

from cabletags import Suggester
from cabletags.cableformat import BOILERPLATE, BOILERPLATE_PARTS, REFERENCE, REFERENCE_BODY, TAGS_LABEL
from cabletags.scoring.fitting import make_vectorizer

TEXTS = ["C O N F I D E N T I A L SECTION 01 OF 02 REF: A. 06 BAKU 1835 B. STATE 96625\n\n"
         "1. (C) Police arrested traffickers; the budget deficit grew. Classified By: Ambassador for reasons "
         "1.4 (b) and (d).", "", "   ", "x", "Émigrés café NAÏVE über 2008-09 (SBU) E.O. 12958: DECL: 01/01/2018",
         "military troops exercises iraq " * 400]


def test_tfidf_without_scikit_learn_is_bit_identical(tiny):
    m = Suggester.load(tiny / "model").model
    texts = TEXTS + [r["body"] for r in make_records(n=40, seed=7)]
    vec = make_vectorizer(m.settings, {t: i for i, t in enumerate(m.vocabulary)})
    vec.idf_ = m.idf
    want = vec.transform(m.prepare(texts)).tocsr()
    want.sort_indices()
    got = m.transform(texts)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)  # bit for bit, not approximately


@pytest.mark.parametrize("pack_bits", [63, 0])
def test_numbered_ngram_tables_give_the_same_matrix(tiny, monkeypatch, pack_bits):
    # the path for large batches (words looked up once, grams found as numbers) against scikit-learn, bit for bit;
    # the texts laid end to end must never make a gram of one text's last word and the next one's first; grams
    # packed with their places into one sorted array (63 bits) or, where they would not fit, searched by np.unique
    from cabletags.scoring import vectorizer

    monkeypatch.setattr(vectorizer, "_PACK_BITS", pack_bits)

    m = Suggester.load(tiny / "model").model
    bigram = next(t for t in m.vocabulary if t.count(" ") == 1)
    first, second = bigram.split(" ")
    texts = TEXTS + [r["body"] for r in make_records(n=40, seed=9)] + [f"words then {first}", f"{second} more words",
                                                                       bigram, "", f"{first}"]
    # one-character runs are no tokens: a gram spans them, in ASCII texts (dropped as numbers) as in others
    texts += [f"{first} a {second}", f"{first.upper()} 7 _ X {second}.", f"{first} é {second} ß {first}", "a b c"]
    monkeypatch.setattr(vectorizer, "TABLES_AFTER", 0)
    m._vectorizer = None  # a fresh transform, whose tables are built now
    got = m.transform(texts)
    assert m._vectorizer._tables  # the numbered path ran
    vec = make_vectorizer(m.settings, {t: i for i, t in enumerate(m.vocabulary)})
    vec.idf_ = m.idf
    want = vec.transform(m.prepare(texts)).tocsr()
    want.sort_indices()
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    for one in texts:  # one text at a time too
        assert (m.transform([one]) != vec.transform(m.prepare([one]))).nnz == 0


def test_ngram_tables_kept_in_the_cache_serve_the_next_process_and_a_bad_file_is_rebuilt(tiny, monkeypatch):
    # built once, the tables are kept in the user's cache (by a digest of the vocabulary); a later transform loads
    # them once CACHE_AFTER characters were seen and gives the same terms; a damaged file is never trusted
    from cabletags.scoring import vectorizer

    m = Suggester.load(tiny / "model").model
    texts = [r["body"] for r in make_records(n=30, seed=4)]
    fresh = vectorizer.TfidfTransform(m.vocabulary, m.idf, m.settings.ngram_max)
    want = fresh._term_ids_by_string(texts)
    path = fresh._cache_file()
    path.unlink(missing_ok=True)  # (another test's transform may have kept them already)
    built = fresh._ngram_tables()
    assert built and not fresh._from_cache and path.is_file()
    monkeypatch.setattr(vectorizer, "CACHE_AFTER", 0)
    later = vectorizer.TfidfTransform(m.vocabulary, m.idf, m.settings.ngram_max)
    got = later.term_ids(texts)
    def pairs(rows_terms):  # the (text, term) pairs, in any order
        rows, terms = rows_terms
        return np.sort(rows * len(m.vocabulary) + terms)

    assert later._from_cache and np.array_equal(pairs(got), pairs(want))
    # another vocabulary has its own file; a damaged one is rebuilt (and written again)
    assert vectorizer.TfidfTransform(m.vocabulary[:-1], m.idf[:-1], m.settings.ngram_max)._cache_file() != path
    path.write_bytes(b"not an npz")
    again = vectorizer.TfidfTransform(m.vocabulary, m.idf, m.settings.ngram_max)
    assert again._load_tables() is None
    assert again._ngram_tables() and not again._from_cache and path.stat().st_size > 100


def test_the_faster_word_pattern_finds_the_same_tokens():
    import random

    from cabletags.cableformat import TOKEN_PATTERN, TOKENS, words_of
    from cabletags.scoring.vectorizer import TfidfTransform

    plain, fast = re.compile(TOKEN_PATTERN), TOKENS
    cut = TfidfTransform(["x"], np.ones(1), 1).tokens  # string methods for ASCII texts, the pattern for others
    rnd = random.Random(5)
    alphabet = "ab_1 éÉ\u0301-.'\n\tZ9\u00df\u4e2d"
    ascii_only = "".join(map(chr, range(128))) + "ab_1Z9 " * 20
    for k in range(10000):
        chars = alphabet if k % 2 else ascii_only
        s = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 40)))
        assert fast.findall(s) == plain.findall(s) == words_of(s), s  # (the header words' cut too)
        assert cut(s) == plain.findall(s.lower()), s


def test_suggestions_are_the_same_with_either_transform(tiny):
    s = Suggester.load(tiny / "model")
    texts = TEXTS + [r["body"] for r in make_records(n=40, seed=8)]
    fast = [[x.to_dict() for x in row] for row in s.suggest_batch(texts, 8)]
    vec = make_vectorizer(s.model.settings, {t: i for i, t in enumerate(s.model.vocabulary)})
    vec.idf_ = s.model.idf
    s.model.transform = lambda ts: vec.transform(s.model.prepare(ts))
    s.model.decision_function = lambda ts: np.asarray((s.model.transform(ts) @ s.model.weights.T).toarray(),
                                                      dtype=np.float32) + s.model.intercept
    assert [[x.to_dict() for x in row] for row in s.suggest_batch(texts, 8)] == fast


def test_anchored_patterns_match_what_the_plain_ones_match():
    plain_boiler = re.compile("|".join(BOILERPLATE_PARTS), re.S)
    plain_ref = re.compile(REFERENCE_BODY)
    for text in TEXTS + ["REF: STATE 123 and 09 USUN NEW YORK 0042; refs: 07 ROME 5", "(U) (S/NF) (S/REL TO UK)"]:
        assert BOILERPLATE.sub(" ", text) == plain_boiler.sub(" ", text)
        assert REFERENCE.findall(text) == plain_ref.findall(text)


def test_anchored_patterns_agree_on_shuffled_pieces_of_every_part():
    # pieces of every boilerplate part and of references, glued at random (word starts and mid-word, upper and
    # lower case): the dispatching lookahead, the possessive runs and the reference hint change no match
    import random

    from cabletags.scoring.references import cited_references

    plain_boiler = re.compile("|".join(BOILERPLATE_PARTS), re.S)
    plain_ref = re.compile(REFERENCE_BODY)
    plain_tags = re.compile(TAGS_LABEL.pattern.removeprefix("(?=[TA])"), re.I)
    pieces = ["TAGS:", "tags: ", "T A G S", "TAGE", "TAS:", "AGS :", "Tag", "\tTAGS ", "U N C L A S", "S E C R E T ",
              "A B C D", "UNCLASSIFIED", "UNCLAS", "CONFIDENTIAL", "SECRET", "NOFORN",
              "SIPDIS", "LIMDIS", "EXDIS", "NODIS", "SENSITIVE BUT UNCLASSIFIED", "FOR OFFICIAL USE ONLY",
              "SECTION 1 OF 3", "E.O. 12958: DECL: 1/2/2019", "E. O.12356", "REF: A. STATE 1 B. 06 ROME 0042",
              "REFS:", "REFERENCES ", "Classified By: Amb. X, reasons 1.4 (b) and (d).", "Derived by", "DERIVED BY ",
              "reasons", "(U)", "(C)", "(SBU)", "(S/NF)", "(S/REL TO UK)", "(X)", "09 USUN NEW YORK 0042",
              "PARIS 001007", "STATE", "0000000", "1.", " ", "  ", "\n", "\n\n", "word", "Summary:", "x", "X", "ROME"]
    rnd = random.Random(11)
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) + rnd.choice(["", " ", "", "\n"]) for _ in range(rnd.randint(0, 14)))
        assert BOILERPLATE.sub(" ", text) == plain_boiler.sub(" ", text), text
        assert REFERENCE.findall(text) == plain_ref.findall(text), text
        assert [m.span() for m in TAGS_LABEL.finditer(text)] == [m.span() for m in plain_tags.finditer(text)], text
        posts = {"STATE", "ROME", "USUNNEWYORK", "PARIS"}
        want = list(dict.fromkeys((int(y) if y else None, "".join(p.split()[k:]), int(n))
                                  for y, p, n in plain_ref.findall(text[:3000])
                                  for k in [next((k for k in range(len(p.split()))
                                                  if "".join(p.split()[k:]) in posts), None)] if k is not None))
        assert cited_references(text, posts) == want, text


def _fit_the_plain_way(texts, Y, s):
    """The per-tag fit as written before it was made fast: vectorize the texts, copy X for every tag."""
    from sklearn.svm import LinearSVC

    from cabletags.scoring.fitting import nb_scale

    vec = make_vectorizer(s)
    X = vec.fit_transform(texts).astype(np.float64)
    X.sort_indices()
    present = X.copy()
    present.data[:] = 1
    df = np.asarray(present.sum(axis=0), dtype=np.float64).ravel()
    out = []
    for j in range(Y.shape[1]):
        scale = nb_scale(present, df, Y[:, j], s.nb_scaling)
        Xj = X.copy()
        Xj.data *= scale[Xj.indices]
        clf = LinearSVC(C=s.C, random_state=0).fit(Xj, Y[:, j])
        out.append(((clf.coef_[0] * scale).astype(np.float32), np.float32(clf.intercept_[0])))
    return vec.get_feature_names_out(), vec.idf_.astype(np.float32), out


def test_training_counts_once_and_fits_exactly_as_the_plain_way():
    # the training run counts terms once for both fits and scales X into reused buffers: same model
    from cabletags.scoring.fitting import count_terms, fit_linear
    from cabletags.scoring.model import ModelSettings

    records = make_records(n=120, seed=3)
    texts = [r["body"] for r in records]
    own = [r["tags"].removeprefix("TAGS: ").split(", ") for r in records]
    tags = sorted({t for x in own for t in x if t != "PREL"})
    Y = np.array([[t in x for t in tags] for x in own], dtype=np.int8)
    s = ModelSettings(min_df=5, max_features=60, keep_weights=25)
    counts = count_terms(texts, s)
    rows = np.arange(0, 120, 2)  # a split, as the fit on the training part sees it
    for sel in (rows, None):
        sub = [texts[i] for i in (sel if sel is not None else range(len(texts)))]
        Ysub = Y[sel] if sel is not None else Y
        fast = fit_linear(None, Ysub, s, n_jobs=1, counts=counts, rows=sel)
        terms, idf, plain = _fit_the_plain_way(sub, Ysub, s)
        assert fast.terms_before_pruning == len(terms)
        vocab = {t: i for i, t in enumerate(terms)}
        kept = np.array([vocab[t] for t in fast.vocabulary])
        assert np.array_equal(fast.idf, idf[kept])
        for j, (w, b) in enumerate(plain):
            keep = np.argsort(-np.abs(w))[: s.keep_weights]
            keep = keep[w[keep] != 0]
            dense = np.zeros(len(terms), dtype=np.float32)
            dense[kept] = fast.weights[j].toarray().ravel()
            expected = np.zeros(len(terms), dtype=np.float32)
            expected[keep] = w[keep]
            assert np.array_equal(dense, expected) and fast.intercept[j] == b


def test_term_counts_equal_scikit_learns_with_empty_and_one_word_texts():
    from sklearn.feature_extraction.text import CountVectorizer

    from cabletags.cableformat import TOKEN_PATTERN
    from cabletags.scoring.fitting import count_terms
    from cabletags.scoring.model import ModelSettings

    texts = ["Alpha beta gamma"] * 5 + ["", "alpha", "x y"] + ["alpha BETA, delta"] * 5 + [""]
    for n in (1, 2, 3):
        got = count_terms(texts, ModelSettings(min_df=5, ngram_max=n))
        cv = CountVectorizer(ngram_range=(1, n), token_pattern=TOKEN_PATTERN, min_df=5)
        want = cv.fit_transform(texts)
        assert list(got.terms) == list(cv.get_feature_names_out()), n
        assert np.array_equal(got.matrix.toarray(), want.toarray()), n



def test_paragraph_numbers_found_by_number_match_the_scan_of_every_number():
    # _numbered searches each paragraph number in turn; _numbered_scan reads every number of the text: the same
    # paragraphs, starts and markings, with leading zeros, longer numbers, decimals, pilcrows, PARA, markings, and
    # digits of other scripts (which send the text to the plain scan)
    import random

    from cabletags.cableformat import _numbered, _numbered_scan

    pieces = ["1.", "2.", "3.", "01.", "007.", "0001.", "10.", "1000.", "2009.", "1.5", " ", "  ", "\n", "\n\n",
              "(C)", "(SBU)", "PARA ", "x", "A.", "12", "0", "1 .", "2 . (U)", "text", "\t", "\u00b6", "\u0661.",
              "\u00b2", "caf\u00e9"]
    rnd = random.Random(3)

    def key(seq):
        return [(x.start(), x.end(), x.number, x.marking) for x in seq]

    for _ in range(6000):
        t = "".join(rnd.choice(pieces[:-4] if rnd.random() < 0.5 else pieces) for _ in range(rnd.randint(0, 20)))
        assert key(_numbered(t)) == key(_numbered_scan(t)), t
    long = "".join(f"\n{i}. (C) text {i * 7}. more" for i in range(1, 1003))
    assert len(_numbered(long)) == 999 and key(_numbered(long)) == key(_numbered_scan(long))


def test_summary_and_comment_found_where_their_words_stand_match_the_plain_scan():
    # on ASCII text the start and end patterns are tried only where their words stand; the plain way scans the text
    import random

    from cabletags import cableformat as cf

    def plain(text, start, end, word):
        at = cf._find_word(text, word)
        m = start.search(text, max(0, at - 1)) if at >= 0 else None
        e = m and end.search(text, m.end() + 1)
        return (" ".join(text[m.end():e.start()].split()) or None) if m and e else None

    pieces = ["SUMMARY", "Summary", "summary", "SuMMARY", "END", "end", "End", "COMMENT", "Comment:", "COMMENT:", ":",
              ".", " ", "\n", "\t", "x", "SUMMARY:", "END SUMMARY", "END\nCOMMENT", "endsummary", "NONSUMMARY",
              "FRIEND"]
    rnd = random.Random(4)
    for _ in range(5000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 16)))
        assert cf.summary(t) == plain(t, cf._SUMMARY_START, cf._SUMMARY_END, "summary"), t
        assert cf.comment(t) == plain(t, cf._COMMENT_START, cf._COMMENT_END, "comment"), t


def test_header_line_patterns_match_what_the_plain_ones_match():
    # FM / TO / INFO lines found from the newline before them (in "\n" + text), REF lines from the literal REF: the
    # same matches as the plain patterns with ^ and \b first, on pieces glued at random (line starts, mid-word)
    import random

    from cabletags.cableformat import FROM_LINE, REF_LINE, TO_LINES

    plain_from = re.compile(r"(?m)^[ \t]*FM\s+(.+)$")
    plain_to = re.compile(r"(?m)^[ \t]*(?:TO|INFO)\s+(.+)$")
    plain_ref = re.compile(r"\bREF(?:S)?\s*:\s*(.+?)(?=Classified|CLASSIFIED|\n(?![ \t]*\u00b6?[ \t]*"
                           r"(?!\(U\)|\([A-Z]\)\s+(?:CLASSIFIED|Classified|SUMMARY|Summary))\(?[A-Z]{1,2}[.)]\s)|\Z)",
                           re.S)
    pieces = ["TO", "INFO", "FM", "REF", "REFS", ":", " ", "\t", "\n", "\n\n", "X", "AMEMBASSY", "1.", "Classified",
              "xREF", "TOKYO", "_", "é", "\r", "B.", "(C)", "\u00b6", "CLASSIFIED"]
    rnd = random.Random(11)
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        assert TO_LINES.findall("\n" + text) == plain_to.findall(text), repr(text)
        got, want = FROM_LINE.search("\n" + text), plain_from.search(text)
        assert (got and got.group(1)) == (want and want.group(1)), repr(text)
        assert REF_LINE.findall(text) == plain_ref.findall(text), repr(text)


def test_closing_lines_found_line_by_line_match_the_pattern():
    # _trailer_start walks the last lines up from the end; _TRAILER is the same rule as one pattern tried at every
    # position of the window: the same start on texts of closing lines, names, blanks and prose in any order
    import random

    from cabletags.cableformat import _TRAILER, _TRAILER_CHARS, _trailer_start

    pieces = ["\n", "\n\n", " ", "\t", "\r\n", "NNN", "NNNN", "BT", ">", "UNCLASSIFIED", "LIMITED OFFICIAL USE",
              "SECRET NOFORN", "C O N F I D E N T I A L", "Declassified/Released US Department of State EO",
              "Systematic Review 30 JUN 2005", "*** Current Classification ***   n/a", "NMAFVVZCZ",
              "2000HANOI00686 - CONFIDENTIAL", "HELMS", "Some prose.", "x" * 300, "\u00a0", "\x0b", "NNNNN"]
    rnd = random.Random(5)
    for _ in range(2500):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        m = _TRAILER.search(t, max(0, len(t) - _TRAILER_CHARS)) if t else None
        assert _trailer_start(t) == (m.start() if m else None), repr(t)


def test_references_found_around_their_hints_match_the_scan_of_every_capital():
    # _references tries the pattern only between the earliest start of a reference and the end of its number, for
    # each capital-blank-digit place; REFERENCE.finditer tries it at every capital: the same matches
    import random

    from cabletags.cableformat import REFERENCE, REFERENCE_HINT
    from cabletags.scoring.references import _hints, _references

    pieces = ["REF ", "A. ", "06 ", "BAKU ", "1835", " ", "  ", "\n", "STATE ", "USUN NEW YORK ", "00123", "1234567",
              "B. ", "SANAA 02498", "X", "ab ", "9 ", "12", "PARIS", "0", "REFTEL ", "(C) ", "\u00a0", "E",
              "AB CD EF GH 12", "\u00b2", "\u0661"]
    ascii_only = [p for p in pieces if p.isascii()] + ["\t", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "Z", "7", "_"]
    rnd = random.Random(7)
    for k in range(8000):  # half the texts ASCII only: their blanks-before-a-digit are found by a string search
        t = "".join(rnd.choice(pieces if k % 2 else ascii_only) for _ in range(rnd.randint(0, 16)))
        want = [(m.start(), m.end(), m.groups()) for m in REFERENCE.finditer(t)]
        assert [(m.start(), m.end(), m.groups()) for m in _references(t)] == want, repr(t)
        assert _hints(t) == [m.span() for m in REFERENCE_HINT.finditer(t)], repr(t)


@pytest.mark.parametrize("codes_from", [0, 10**9])
def test_boilerplate_stripped_where_its_parts_can_start_matches_the_pattern_everywhere(monkeypatch, codes_from):
    # strip_boilerplate tries BOILERPLATE only where a part of it can start, found by numpy in an ASCII text (from
    # _CODES_FROM characters) or literal by literal; BOILERPLATE.sub tries every position
    import random

    from cabletags import cableformat
    from cabletags.cableformat import BOILERPLATE, strip_boilerplate

    monkeypatch.setattr(cableformat, "_CODES_FROM", codes_from)

    pieces = ["UNCLAS ", "UNCLASSIFIED", "SECTION 01 OF 02 ", "E.O. 12958: DECL: 01/01/2018 ", "E. O. 11652: N/A",
              "REF: A. STATE 1 ", "REFS: ", "Classified By: Ambassador for reasons 1.4 (b) and (d).", "(C) ", "(SBU)",
              "(U)", "C O N F I D E N T I A L ", "A B C D ", "X Y Z W V", "SIPDIS", "NOFORN", "SENSITIVE BUT UNCLAS",
              "FOR OFFICIAL USE ONLY", "\n", "\n\n", " ", "1. ", "Summary", "prose words ", "E.", "(", "xSECRET",
              "SECRETS", "Derived by", "DERIVED BY x REASON 1.5", "\u00c9 ", "A",
              # what only begins like a literal, a marking's first letters, a literal cut by the text's end
              "SECTOR ", "CONFIDENCE", "REFORM", "RE", "(S", "(Ux)", "(S/REL USA)", "(D)", "E.\tO. 11652", "E.\nO.",
              "Classification", "Deriv", "NOFOR", "SIPD", "LIMDIS", "EXDIS", "NODIS", "(", "E",
              # what starts as a literal's first four characters (or "E.") and goes on otherwise
              "FOR THE ", "FOR OFFICE", "FOR OFFICIAL", "CLASSIC", "Classify", "CONFIDE", "SECTIONS", "THE.",
              "E.O", "E. X", "E.\x1cO. 11652", "E.\x0bO.", "E.  O.", "E.?O. 1", "E.\u2028O. 12958",
              # characters outside ASCII (the places are found in the text with each of them written "?"): curly
              # quotes, a line separator and a no-break space (both blanks to \s), a word character before a banner
              "\u2019", "\u201c", "\u2028", "\u00a0", "E.\u00a0O. 12958", "\u0425", "REF:\u2028", "?", "(\u2019"]
    rnd = random.Random(9)
    for _ in range(3000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        assert strip_boilerplate(t) == BOILERPLATE.sub(" ", t), repr(t)


def test_word_ids_numbered_in_numpy_equal_the_strings_lookups():
    # ASCII texts' tokens are packed into numbers and found in an open-addressing table; every other text (and any
    # token over 16 characters) by its string: the same ids, the same layout, whatever the batch holds
    import random

    from cabletags.scoring.vectorizer import TfidfTransform

    words = ["ab", "abc", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq", "hdr_trafficking",
             "x1_2", "12", "2009", "caf\u00e9", "na\u00efve", "zz", "the", "trade", "agreement", "abcdefgh_abcdefgh"]
    vocab = words + ["trade agreement", "the trade", "ab abc"]
    t = TfidfTransform(vocab, np.ones(len(vocab)), 2)
    table = t._build_tables()[0]
    table["odd\x00"] = max(table.values()) + 1  # a NUL in a word of the table: no token may read as it
    pieces = words + ["AB", "Abc", "ABCDEFGHIJKLMNOP", "abcdefghij", "a", "b", "_", "odd", "x", " ", "  ", "\n", ".",
                      ",", "-", "\x00", "\t", "9", "caf\u00e9", "\u00e9", "\u00df", "1999",
                      "abcdefghijklmnopqrstuvwxyz",
                      # outside ASCII and no word characters (read as blanks by the numpy path): quotes, dashes, a line
                      # separator, a circled capital (whose lower-case form is no word character either), "?"
                      "\u2019", "\u201c", "\u2013", "\u2028", "\u00b4", "\u24b6", "?", "\ud800", "\U0001f600",
                      # word characters outside ASCII (a text with one is read by its strings): Cyrillic, a numeral,
                      # a mathematical capital beyond the first 65,536 characters
                      "\u0425", "\u2160", "\U0001d400"]
    rnd = random.Random(3)
    for k in range(600):
        batch = ["".join(rnd.choice(pieces) + rnd.choice(["", " ", ".", "\n"]) for _ in range(rnd.randint(0, 30)))
                 for _ in range(rnd.randint(0, 6))]
        if k % 3 == 1:  # ASCII only: the numpy path alone
            batch = [s.encode("ascii", "ignore").decode() for s in batch]
        elif k % 3 == 2:  # no word character outside ASCII: the numpy path too
            batch = [re.sub(r"[^\W\x00-\x7f]", "", s) for s in batch]
        got, want = t._batch_sequence(batch, table), t._sequence(batch, table)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), batch


def test_a_batch_stripped_at_once_equals_each_text_stripped(monkeypatch):
    # the long ASCII texts of a batch have their places found in one pass over all of them (joined by NULs); the
    # others one by one: every text as strip_boilerplate leaves it
    import random

    from cabletags import cableformat
    from cabletags.cableformat import strip_boilerplate, strip_boilerplate_all

    monkeypatch.setattr(cableformat, "_CODES_FROM", 20)
    pieces = ["UNCLAS ", "SECTION 01 OF 02 ", "E.O. 12958: N/A ", "REF: A. STATE 1 ", "(C) ", "(SBU)", "SIPDIS",
              "C O N F I D E N T I A L ", "prose words ", "\n", "\n\n", "RE", "F", "E", ".", "(", "S", "\x00",
              "Classified By: X for reasons 1.4 (b).", "caf\u00e9 ", "SECRET", "NOFORN", "1. ", "\u2019", "\u2028"]
    rnd = random.Random(11)
    for _ in range(300):
        batch = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 25))) for _ in range(rnd.randint(0, 7))]
        assert strip_boilerplate_all(batch) == [strip_boilerplate(t) for t in batch], batch


def test_no_character_outside_the_words_has_a_lower_case_form_inside_them():
    # the numpy word ids read a text without word characters outside ASCII as its ASCII characters alone, the others
    # as blanks; that holds only if lower-casing never turns one of those others into a word character, nor into more
    # than one character (which would move the places after it)
    import sys

    codes = np.r_[np.arange(128, 0xD800), np.arange(0xE000, sys.maxunicode + 1)].astype("<u4")
    every = codes.tobytes().decode("utf-32-le")  # every character but ASCII and the surrogates, in one string
    others = re.sub(r"\w", "", every)
    assert 900_000 < len(others) < len(every)  # the pattern's own idea of a word character, not a guess
    low = others.lower()
    assert len(low) == len(others) and re.search(r"\w", low) is None


def test_a_text_said_to_hold_no_end_marker_holds_none():
    # has_end_marker gates the cable's end (and the paragraph numbers it needs) by a scan for a line that starts as a
    # marker: wherever the markers' own patterns match, it must say True (line starts, cases, Unicode's case folds)
    import random

    from cabletags import cableformat as cf

    pieces = ["NNNN", "nnn", "NnN", "END CABLE TEXT", "End Cable", "end of message", "END OF CABLE", "\n", "\n  ",
              "\t", " ", "x", "END", "OF", "CABLE", "MESSAGE", "\u017f", "ENDCABLE", "1. ", "END  CABLE", "E", "N"]
    rnd, found = random.Random(1), 0
    for _ in range(20000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        exact = cf._END_MARK.search(t) is not None or cf._SITE_END.search(t) is not None
        found += exact
        assert not exact or cf.has_end_marker(t), repr(t)
    assert found > 1000


def test_the_subject_taken_a_word_at_a_time_is_the_lazy_patterns():
    # SUBJECT tries its stops only where a blank or a pilcrow stands; the lazy (.+?) it replaces tried them after
    # every character: the same match, span and subject on random texts of subjects, stops and blanks of every kind
    import random

    from cabletags import cableformat as cf

    lazy = re.compile(r"\bSUBJ(?:ECT)?\s*[:.]\s*(.+?)(?=" + cf._SUBJECT_STOP + ")", re.S | re.I)
    pieces = ["SUBJECT:", "SUBJ:", "Subject.", "subj :", " ", "  ", "\n", "\n\n", "\t", "\u00b6", "\u00b61.",
              "\u00b6 1.", "1.", "1. (C)", " 1.", "  1. x", "REF:", "REFTEL:", "REF(S):", "Classified By", "E.O. 12958",
              "E.0. 11652", "PAGE 2 ", "UNCLASSIFIED PAGE 02 ", "----", "PARA 1.", "PARAGRAPH 1.", "word", "WORDS",
              "x", ".", ":", "\u2028", "\xa0", "\u00b6x", "1.)", "12", "\r"]
    rnd = random.Random(5)
    for _ in range(20000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        a, b = lazy.search(t), cf.SUBJECT.search(t)
        assert (a is None and b is None) or (a.span() == b.span() and a.groups() == b.groups()), repr(t)


def test_patterns_with_a_first_letter_lookahead_match_as_without_it():
    # FIELD_STOP and POST_SERIAL start with a lookahead of the letters their alternatives can start with (in either
    # case, Unicode's folds included, for FIELD_STOP): the scan skips other places at once, the matches are the same
    import random

    from cabletags import cableformat as cf

    pairs = [(re.compile(cf.FIELD_STOP._args[0].replace("(?=[SRCE1\\n])", "", 1), cf.FIELD_STOP._args[1]),
              cf.FIELD_STOP),
             (re.compile(cf.POST_SERIAL._args[0].replace("(?=[UCSL]|[A-Z] [A-Z] )", "", 1)), cf.POST_SERIAL)]
    assert all(plain.pattern != fast._args[0] for plain, fast in pairs)
    pieces = ["SUBJ:", "Subject:", "subject X", "SUBJECT Y", "REF:", "REFS.", "reference:", "Classified By",
              "CLASSIFIED BY", "E.O. 12958", "e.o. 11652", "1. (C)", "1.  (SBU)", "SUMMARY:", "summary.", "\n", "\n\n",
              "\n \n", " ", "x", "PGOV,", "\u017fUBJ:", "UNCLAS", "CONFIDENTIAL", "SECRET", "LIMITED OFFICIAL USE",
              "SENSITIVE BUT UNCLASSIFIED", "C O N F I D E N T I A L", "S E C R E T", "SECTION 01 OF 02", "ANKARA",
              "NEW DELHI", "000123", "1234", "A B", "  ", "'", "-", "."]
    rnd = random.Random(8)
    for _ in range(8000):
        t = "".join(rnd.choice(pieces) + rnd.choice(["", " ", "\n"]) for _ in range(rnd.randint(0, 10)))
        for plain, fast in pairs:
            a, b = plain.search(t), fast.search(t)
            assert (a is None and b is None) or (a.span() == b.span() and a.groups() == b.groups()), repr(t)


def _tags_fields_line_by_line(text, window):
    """The TAGS fields as the reader found them before: each field's continuation lines walked one by one."""
    from cabletags import cableformat as cf

    for m in cf.TAGS_LABEL.finditer(text):
        label, start = m.group("label"), m.end()
        before = text[max(0, m.start() - 2):m.start()]
        if m.start() > 0 and not (before.endswith("\n") or before.endswith(" ") or before.endswith("\t")):
            continue
        if not label.replace(" ", "").isupper() and (label.replace(" ", "").lower() != "tags"
                                                     or ":" not in m.group(0)):
            continue
        rest = text[start:start + window]
        line_end = rest.find("\n")
        first = rest if line_end < 0 else rest[:line_end]
        stop = cf.FIELD_STOP.search(first)
        if stop:
            value, end = first[:stop.start()], start + stop.start()
        else:
            value, end = first, start + (len(first) if line_end < 0 else line_end)
            pos = line_end
            while pos >= 0:
                nxt = rest.find("\n", pos + 1)
                line = rest[pos + 1:] if nxt < 0 else rest[pos + 1:nxt]
                if not line.strip() or cf.FIELD_STOP.search(line) or not cf.CONTINUATION_LINE.match(line):
                    break
                if not re.search(r"\b[A-Z]{2,5}\b", line):
                    break
                value += " " + line.strip()
                end = start + (len(rest) if nxt < 0 else nxt)
                pos = nxt
        value = " ".join(value.split())
        if value and re.search(r"[A-Za-z]{2}", value):
            yield value, label, m.start(), end


@pytest.mark.parametrize("window", [4000, 37, 11])
def test_tags_fields_found_by_runs_of_lines_judged_once_match_the_walk_line_by_line(monkeypatch, window):
    # each line judged once per text (a page of "TAGS" lines walked each field's lines again: 18 s for 40 KB), the
    # window cutting a line judged as cut: the same fields, values and ends as the walk line by line
    import random

    from cabletags.reading import parser

    monkeypatch.setattr(parser, "FIELD_WINDOW", window)
    pieces = ["TAGS: ", "TAGS ", "Tags: ", "tags ", "T A G S: ", "TAGS:\n", "PREL, PGOV", "KTIP", "AJ\n", "PREL\n",
              "\n", "\n\n", " ", "SUBJECT: X", "SUBJ: ", "REF: A", "E.O. 12958", "1. (U) ", "lower words",
              "PREL PGOV KDEM AJ UNSC OSCE\n", "(FOUO)", "1234", "\t", "\r\n", "\u00a0", "CONFIDENTIAL\n", "A B\n",
              "X", "ABCDEFG\n", "  ", "SUMMARY:", "\nTAGS\n", "PREL-", "O'", "&", "\nSUBJECT: A\n", "Related: "]
    rnd = random.Random(13)
    for k in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        fields = list(_tags_fields_line_by_line(text, window))
        assert list(parser._tags_fields(text)) == fields, repr(text)
        # a page's field: the first that stands in a header (only the one returned has its value written out)
        first, previous, want = None, None, None
        for f in fields:
            if parser._in_header(text, f[2], f[3], previous[3] if previous else 0):
                want = f
                break
            first, previous = first or f, f
        assert parser._find_tags(text) == (want or first or (None, None, None, 0)), repr(text)


def test_header_block_read_in_numpy_is_startswith_of_each_term():
    # the terms laid end to end a line each, each line's first bytes compared; a term with a line break (none has
    # one) is read one term at a time
    from cabletags.scoring.vectorizer import HEADER_PREFIX, header_block

    for vocab in (["hdr_x", "a", "hdr_", "hd", "hdr_y z", "xhdr_"], [], ["h"], ["\u00f1hdr_", "hdr_\u00f1", "hdr"],
                  ["a\nhdr_b", "hdr_c"], ["hdr_a"] * 3):
        want = np.array([t.startswith(HEADER_PREFIX) for t in vocab], dtype=bool)
        got = header_block(vocab)
        assert got.dtype == bool and np.array_equal(got, want), vocab


def test_round4_in_numpy_is_pythons_round_to_four_places():
    # scores are written rounded to 4 places for a whole batch at once: the same floats as round(x, 4), halves (where
    # the scaling's rounding could tip the answer: round's own then), both zeros, NaN and infinities included
    from cabletags.scoring.suggester import round4

    rng = np.random.default_rng(4)
    x = np.concatenate([rng.random(200_000), rng.random(20_000).astype(np.float32), np.arange(10_001) / 1e4 + 0.00005,
                        np.arange(20_001) / 2e4, [0.0, -0.0, 1.0, 0.99995, 0.00005, 1e-9, 12.34565, -0.00005,
                                                  1e20 + 2**20, 123456.78905, np.nan, np.inf, -np.inf]])
    got = round4(x[:-15].reshape(-1, 10)).ravel().tolist() + round4(x[-15:]).tolist()  # (2-D and 1-D)
    want = [round(float(v), 4) for v in x]
    assert all(g == w or (g != g and w != w) for g, w in zip(got, want))
    assert [str(g) for g in got[-13:-3]] == [str(w) for w in want[-13:-3]]  # the zeros' signs too


def test_term_counts_by_one_sort_are_np_uniques():
    from cabletags.scoring.vectorizer import _counted

    rng = np.random.default_rng(6)
    for n in (0, 1, 2, 5, 1000, 50_000):
        for dtype in (np.uint32, np.int64):
            keys = rng.integers(0, 60, size=n).astype(dtype)
            (want, want_n), (got, got_n) = np.unique(keys, return_counts=True), _counted(keys)
            assert np.array_equal(got, want) and np.array_equal(got_n, want_n) and got.dtype == want.dtype


def test_the_repeat_check_of_string_lists_is_the_sets_verdict():
    import random

    from cabletags.scoring.storage import strings

    rng = random.Random(5)
    words = ["a", "ab", "abc", "b", "ba", "z", "Z", "é", "e", "", " a"]
    for _ in range(2000):
        x = [rng.choice(words) for _ in range(rng.randint(0, 6))]
        if rng.random() < 0.5:
            x.sort()  # sorted lists take the neighbours' comparison, with and without repeats
        repeats = len(set(x)) != len(x)
        try:
            strings(x, "x")
            refused = False
        except ValueError:
            refused = True
        assert refused == repeats, x
