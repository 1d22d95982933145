"""The web page of `cabletags serve`: one HTML document with a little JavaScript over the JSON endpoints.

No external resources (no CDN, no fonts): it works offline. Every control has a label, forms submit with
Enter, results are announced to screen readers (aria-live), and everything is reachable by keyboard.
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cabletags: TAGS codes of US diplomatic cables</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  section { border-top: 1px solid #ccc; }
  label { display: block; font-weight: 600; margin: .6rem 0 .2rem; }
  textarea, input[type=text], input[type=search] { width: 100%; box-sizing: border-box; font: inherit; padding: .4rem; }
  textarea { min-height: 9rem; }
  .row { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
  .row label { display: inline; font-weight: normal; margin: 0; }
  button { font: inherit; padding: .4rem 1rem; cursor: pointer; }
  button:focus, input:focus, textarea:focus, select:focus, a:focus { outline: 3px solid #1d70b8; outline-offset: 1px; }
  table { border-collapse: collapse; width: 100%; margin-top: .6rem; }
  th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
  td.num { font-variant-numeric: tabular-nums; }
  dl.entry { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; } dl.entry dt { font-weight: 600; }
  dl.entry dd { margin: 0; }
  .sel { font-weight: 600; } .muted { color: #555; } .error { color: #a30000; font-weight: 600; }
  small { color: #555; }
</style>
</head>
<body>
<header>
  <h1>cabletags</h1>
  <p class="muted">Decode, repair and suggest the TAGS codes of US diplomatic cables (version {{version}}).
  The same functions answer the <a href="/v1/docs">REST API</a>.</p>
</header>
<main>
<section aria-labelledby="suggest-h">
  <h2 id="suggest-h">Suggest tags for a text or a whole cable</h2>
  <form id="suggest-form">
    <label for="text">Text (a paragraph, a report, or a whole cable with its header)</label>
    <textarea id="text" name="text" required></textarea>
    <div class="row">
      <label for="file">or load a file</label> <input id="file" type="file" accept=".txt,.html,.htm,.pdf,text/*,application/pdf">
    </div>
    <div class="row">
      <input id="cable" type="checkbox"> <label for="cable">read it as a whole cable (compare with its own TAGS line)</label>
      <label for="limit">tags</label> <input id="limit" type="number" min="1" max="50" value="10" style="width:4rem">
      <button id="suggest-button" type="submit">Suggest tags</button>
    </div>
  </form>
  <div id="suggest-out" aria-live="polite"></div>
</section>
<section aria-labelledby="repair-h">
  <h2 id="repair-h">Repair a TAGS line</h2>
  <form id="repair-form">
    <label for="tags-line">TAGS line as written, e.g. <code>TAGS: PGOV, PRELL, OSCEPREF, OVIP (POWELL, COLIN)</code></label>
    <input id="tags-line" type="text" required>
    <div class="row"><button id="repair-button" type="submit">Repair and decode</button></div>
  </form>
  <div id="repair-out" aria-live="polite"></div>
</section>
<section aria-labelledby="browse-h">
  <h2 id="browse-h">Browse the taxonomy</h2>
  <form id="browse-form">
    <label for="q">Words or a code (e.g. <code>trafficking</code>, <code>Russia</code>, <code>KTIP</code>)</label>
    <input id="q" type="search">
    <div class="row">
      <label for="kind">kind</label>
      <select id="kind"><option value="">all kinds</option><option>subject</option><option>program</option>
        <option>geographic</option><option>organization</option></select>
      <button id="browse-button" type="submit">Search</button>
    </div>
  </form>
  <div id="browse-out" aria-live="polite"></div>
</section>
</main>
<script>
"use strict";
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
async function call(url, options) {
  const r = await fetch(url, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : "request failed (" + r.status + ")");
  return body;
}
function table(headers, rows) {
  return "<table><thead><tr>" + headers.map(h => "<th scope=col>" + esc(h) + "</th>").join("") +
    "</tr></thead><tbody>" + rows.map(r => "<tr>" + r.join("") + "</tr>").join("") + "</tbody></table>";
}
function tagRows(tags) {
  return tags.map((t, i) => [
    "<td class=num>" + (i + 1) + "</td>",
    "<td class='tag" + (t.selected ? " sel" : "") + "'><a href='#' data-code='" + esc(t.tag) + "'>" + esc(t.tag) + "</a></td>",
    "<td>" + esc(t.title || "") + "</td>", "<td class=num>" + t.score.toFixed(3) + "</td>",
    "<td>" + (t.selected ? "yes" : "") + "</td>", "<td><small>" + esc((t.because || []).join(", ")) + "</small></td>"]);
}
const heads = ["rank", "tag", "title", "score", "selected", "because"];
document.getElementById("file").addEventListener("change", async ev => {
  const f = ev.target.files[0];
  if (!f) return;
  // the server reads the file as the CLI does (encoding, page layout, PDF): the box gets the cable, not the page
  const form = new FormData();
  form.append("file", f);
  try {
    const d = await call("/v1/read", {method: "POST", body: form});
    document.getElementById("text").value = d.text;
  } catch (e) {
    document.getElementById("suggest-out").innerHTML = "<p class=error role=alert>" + esc(e.message) + "</p>";
  }
});
document.getElementById("suggest-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const out = document.getElementById("suggest-out");
  out.innerHTML = "<p class=muted>Working...</p>";
  try {
    const cable = document.getElementById("cable").checked;
    const d = await call("/v1/suggest", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({text: document.getElementById("text").value, cable: cable, explain: true,
                            limit: Number(document.getElementById("limit").value) || 10})});
    let html = "";
    if (cable) {
      html += "<p>Cable " + esc(d.reference_id || "(no reference id)") + ": " + esc(d.subject || "(no subject)") +
        "<br>Its own tags: " + esc((d.own_tags || []).join(", ") || "(no TAGS line)") + "</p>";
      html += table(heads.concat(["on its TAGS line"]), tagRows(d.whole).map((r, i) => r.concat(["<td>" + (d.whole[i].own ? "yes" : "") + "</td>"])));
      if ((d.own_below || []).length) html += "<p>Its own tags below the list: " +
        esc(d.own_below.map(x => x.tag + " (rank " + x.rank + ", " + x.score.toFixed(2) + ")").join(", ")) + "</p>";
      if ((d.paragraphs || []).length) {
        html += "<h3>Paragraph by paragraph</h3>" + table(["paragraph", "tags (score)"], d.paragraphs.map(p => [
          "<td class=num>" + esc(p.number === null ? "-" : p.number) + "</td>",
          "<td>" + p.tags.map(t => "<span" + (t.selected ? " class=sel" : "") + ">" + esc(t.tag) + " " +
                                  t.score.toFixed(2) + "</span>").join(", ") + "</td>"]));
      }
    } else {
      html += table(heads, tagRows(d.tags));
    }
    if (d.no_evidence) html += "<p role=status>No evidence in the text for any tag: nothing is selected.</p>";
    out.innerHTML = html + "<p><small>Bold tags are selected: their score reaches the model's threshold.</small></p>";
  } catch (e) { out.innerHTML = "<p class=error role=alert>" + esc(e.message) + "</p>"; }
});
document.getElementById("repair-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const out = document.getElementById("repair-out");
  try {
    const line = document.getElementById("tags-line").value;
    const n = (await call("/v1/normalize", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({line: line})})).results[0];
    const dec = n.codes.length ? (await call("/v1/decode?" + n.codes.map(c => "item=" + encodeURIComponent(c)).join("&"))).results : [];
    let html = "<p>Codes: <strong id=repaired-codes>" + esc(n.codes.join(", ") || "(none)") + "</strong></p>";
    html += table(["code", "kind", "title", "notes"], dec.map(d => ["<td>" + esc(d.code) + "</td>", "<td>" + esc(d.kind || d.status) + "</td>",
      "<td>" + esc(d.title) + "</td>", "<td><small>" + esc(d.notes) + "</small></td>"]));
    if (n.repairs.length) html += "<h3>Repairs</h3><ul>" + n.repairs.map(r => "<li>" + esc(r.kind) + ": " + esc(r.original) +
      " &rarr; " + esc(r.result.join(" ") || "(removed)") + (r.note ? " <small>(" + esc(r.note) + ")</small>" : "") + "</li>").join("") + "</ul>";
    if (n.names.length) html += "<p>Names: " + esc(n.names.join("; ")) + "</p>";
    if (n.unknown.length) html += "<p>Kept as written (unknown): " + esc(n.unknown.join("; ")) + "</p>";
    out.innerHTML = html;
  } catch (e) { out.innerHTML = "<p class=error role=alert>" + esc(e.message) + "</p>"; }
});
function entryHtml(e) {
  // a taxonomy entry as a reader wants it: words, not the record's raw JSON
  const items = [];
  const add = (term, html) => { if (html) items.push("<dt>" + esc(term) + "</dt><dd>" + html + "</dd>"); };
  add("Kind", esc(e.kind) + (e.category ? " (" + esc(e.category.name || e.category.code || "") + ")" : ""));
  add("Status", esc(e.status) + (e.replaced_by ? ", replaced by " + esc(e.replaced_by) : ""));
  if (e.definition) add("Definition (1974 handbook)", esc(e.definition.text || "(none printed)") +
    (e.definition.reference ? " <small>(" + esc(e.definition.reference) + ")</small>" : ""));
  if (e.scope) add("Scope", esc(e.scope));
  if (e.note) add("Note", esc(e.note));
  if (e.status_basis) add("Status from", esc(e.status_basis));
  (e.usage || []).forEach(u => add("Usage", esc(u.note)));
  if (e.iso3166) add("ISO 3166", esc(e.iso3166));
  if ((e.aliases || []).length) add("Other names and spellings", e.aliases.map(a => esc(a.form) + " <small>(" +
    esc(a.type) + ")</small>").join(", "));
  if ((e.era_meanings || []).length) add("In other eras", esc(e.era_meanings.join("; ")));
  const p = e.provenance || {};
  add("Source", esc([p.source, p.reference].filter(Boolean).join(": ")) +
    (p.evidence ? "<br><small>" + esc(p.evidence) + "</small>" : ""));
  if ((e.attested || []).length) add("Found in", e.attested.map(a => esc(a.source) + (a.count ? " " + a.count + " cables" : "") +
    (a.first ? " (" + a.first + (a.last && a.last !== a.first ? "-" + a.last : "") + ")" : "")).join(", "));
  if (e.uri) add("URI", "<a href='" + esc(e.uri) + "'>" + esc(e.uri) + "</a>");
  return "<dl class=entry>" + items.join("") + "</dl>";
}
async function showCode(code) {
  const out = document.getElementById("browse-out");
  try {
    const e = await call("/v1/taxonomy/" + encodeURIComponent(code));
    out.innerHTML = "<h3>" + esc(e.code) + ": " + esc(e.title || "(meaning unknown)") + "</h3>" + entryHtml(e);
    out.scrollIntoView();
  } catch (err) { out.innerHTML = "<p class=error role=alert>" + esc(err.message) + "</p>"; }
}
document.body.addEventListener("click", ev => {
  const a = ev.target.closest("a[data-code]");
  if (a) { ev.preventDefault(); showCode(a.dataset.code); }
});
document.getElementById("browse-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const out = document.getElementById("browse-out");
  try {
    const q = document.getElementById("q").value, kind = document.getElementById("kind").value;
    const d = await call("/v1/taxonomy?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "") + (kind ? "&kind=" + kind : ""));
    out.innerHTML = d.results.length ? table(["code", "kind", "title"], d.results.map(h => [
      "<td><a href='#' data-code='" + esc(h.code) + "'>" + esc(h.code) + "</a></td>", "<td>" + esc(h.kind) + "</td>",
      "<td>" + esc(h.title || "(meaning unknown)") + "</td>"])) : "<p>Nothing found.</p>";
  } catch (e) { out.innerHTML = "<p class=error role=alert>" + esc(e.message) + "</p>"; }
});
</script>
</body>
</html>
"""
