// The explain page: upload an image (or paste a text), show the overlay, the segment, the metrics
// and each verbalization with its claims marked. Model and LLM text only ever reaches the page
// through textContent (see el() in common.js).
"use strict";

const STATUSES = new Set(["supported", "contradicted", "unverifiable"]);

// The text with each claim wrapped in <mark>; offsets are checked, overlapping claims skipped.
function markedText(text, claims) {
  const p = el("p", { class: "vtext" });
  const spans = (claims || [])
    .filter((c) => Number.isInteger(c.start) && Number.isInteger(c.end) && c.start >= 0 && c.start < c.end && c.end <= text.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let pos = 0;
  for (const c of spans) {
    if (c.start < pos) continue;
    p.append(document.createTextNode(text.slice(pos, c.start)));
    const status = STATUSES.has(c.status) ? c.status : "unverifiable";
    const about = [c.subject, c.fact].filter(Boolean).join(" · ");
    p.append(el("mark", { class: "claim " + status,
                          title: status + " · " + c.kind + (about ? " · " + about : "") + (c.reason ? ": " + c.reason : ""),
                          text: text.slice(c.start, c.end) }));
    pos = c.end;
  }
  p.append(document.createTextNode(text.slice(pos)));
  return p;
}

function verbalizationBlock(v) {
  const ver = v.verification || {};
  const head = el("div", { class: "vhead" }, el("strong", { text: v.verbalizer }));
  if (v.ok === false) {
    head.append(el("span", { class: "badge bad", text: "failed" }));
  } else if (typeof ver.fidelity === "number") {
    head.append(el("span", { class: "badge fidelity",
                             text: "fidelity " + ver.fidelity.toFixed(2) + " (" + ver.supported + "/" + (ver.supported + ver.contradicted) + ")" }));
  } else {
    head.append(el("span", { class: "badge", text: "fidelity n/a (no checkable claims)" }));
  }
  if (v.model) head.append(el("span", { class: "muted", text: "model " + v.model }));
  const block = el("div", { class: "verbalization" }, head);
  if (v.ok === false) {
    block.append(el("p", { class: "error", text: v.error || "failed" }));
    if (v.raw) block.append(el("pre", { class: "raw", text: v.raw }));
    return block;
  }
  block.append(markedText(v.text || "", ver.claims));
  if (ver.claims && ver.claims.length) {
    const rows = ver.claims.map((c) => el("tr", {},
      el("td", { text: c.text }), el("td", { text: c.kind }),
      el("td", { text: c.subject || "" }), el("td", { text: c.fact || "" }),
      el("td", {}, el("span", { class: "mark " + (STATUSES.has(c.status) ? c.status : "unverifiable"), text: c.status })),
      el("td", { text: c.reason || "" })));
    block.append(el("details", {},
      el("summary", { text: ver.claims.length + " claims: " + ver.supported + " supported, " + ver.contradicted + " contradicted, " + ver.unverifiable + " unverifiable" }),
      el("table", { class: "claims" }, el("thead", {}, el("tr", {}, ...["claim", "kind", "subject", "fact", "mark", "why"].map((h) => el("th", { text: h })))),
         el("tbody", {}, ...rows))));
  }
  return block;
}

function showImageResult(data, file) {
  const ex = data.explanation;
  const p = ex.prediction;
  const prediction = document.getElementById("prediction");
  prediction.replaceChildren(el("strong", { text: p.label }), " " + pct(p.probability));
  for (const a of (p.alternatives || []).slice(0, 3)) {
    prediction.append(el("span", { class: "muted", text: " · " + a.label + " " + pct(a.probability) }));
  }
  document.getElementById("original").src = URL.createObjectURL(file);
  document.getElementById("overlay").src = "data:image/png;base64," + data.overlay_png;
  document.getElementById("segment").src = "data:image/png;base64," + data.segment_png;
  document.getElementById("overlay-caption").textContent = "saliency (" + ex.attribution.method + ")";
  document.getElementById("segment-caption").textContent = "segment (" + ex.segment.method + ")";
  const f = ex.facts;
  const rows = [
    ["deletion AUC (lower is better)", num(f.deletion_auc)], ["insertion AUC (higher is better)", num(f.insertion_auc)],
    ["saliency in segment", pct(f.saliency_in_segment)], ["segment area", pct(f.segment_area)],
    ["p(label | segment only)", pct(f.p_segment_only)], ["p(label | segment removed)", pct(f.p_segment_removed)],
    ["saliency mostly in", f.saliency_region], ["time", num(data.seconds, 1) + " s"],
  ];
  for (const [n, m] of (f.method_ranking || []).entries()) {  // --method best: the candidates, most faithful first
    rows.push([(n === 0 ? "kept: " : "candidate: ") + m.title,
      "insertion AUC " + num(m.insertion_auc) + " · deletion AUC " + num(m.deletion_auc) + " · ROAD " + num(m.road)]);
  }
  document.getElementById("metrics").replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v }))));
  document.getElementById("verbalizations").replaceChildren(...(ex.verbalizations || []).map(verbalizationBlock));
  document.getElementById("explanation-json").textContent = JSON.stringify(ex, null, 2);
  document.getElementById("image-result").hidden = false;
}

// Token heatmaps for any {method|strategy, tokens, scores} found in a text result.
function tokenMaps(result) {
  const found = [];
  (function walk(node, tokens) {
    if (Array.isArray(node)) { node.forEach((n) => walk(n, tokens)); return; }
    if (!node || typeof node !== "object") return;
    const toks = Array.isArray(node.tokens) ? node.tokens : tokens;
    const scores = Array.isArray(node.scores) ? node.scores : (node.summary && node.summary.values);
    const name = node.method || node.strategy;
    if (name && toks && Array.isArray(scores) && scores.length === toks.length) found.push([name, toks, scores]);
    for (const [k, v] of Object.entries(node)) if (!["tokens", "scores", "summary"].includes(k)) walk(v, toks);
  })(result, null);
  return found.map(([name, toks, scores]) => {
    const scale = Math.max(...scores.map((s) => Math.abs(s)), 0) || 1;
    const row = el("div", { class: "tokens" });
    toks.forEach((t, i) => {
      const s = scores[i];
      const span = el("span", { class: "tok", title: s.toFixed(3), text: t });
      span.style.background = (s > 0 ? "rgba(214,39,40," : "rgba(31,119,180,") + Math.min(Math.abs(s) / scale, 1).toFixed(2) + ")";
      row.append(span, " ");
    });
    return el("div", {}, el("h4", { text: name }), row);
  });
}

async function explainImage(event) {
  event.preventDefault();
  const file = document.getElementById("file").files[0];
  if (!file) { setStatus("choose an image first", "error"); return; }
  const form = new FormData();
  form.append("file", file);
  for (const id of ["method", "segmenter", "verbalizer"]) form.append(id, document.getElementById(id).value);
  const button = document.getElementById("explain-image");
  button.disabled = true;
  const t0 = Date.now();
  const timer = setInterval(() => setStatus("explaining… " + Math.round((Date.now() - t0) / 1000) + " s"), 500);
  setStatus("explaining…");
  const { ok, data } = await api("/v1/explain/image", { method: "POST", body: form });
  clearInterval(timer);
  button.disabled = false;
  if (!ok) { setStatus(data.error || "failed", "error"); return; }
  setStatus("done in " + num(data.seconds, 1) + " s", "ok");
  showImageResult(data, file);
}

async function explainText(event) {
  event.preventDefault();
  const body = { text: document.getElementById("text").value };
  const label = document.getElementById("text-label").value.trim();
  if (label) body.label = label;
  setStatus("explaining…");
  const { ok, data } = await api("/v1/explain/text", { method: "POST", headers: { "Content-Type": "application/json" },
                                                        body: JSON.stringify(body) });
  if (!ok) { setStatus(data.error || "failed", "error"); return; }
  setStatus("done", "ok");
  document.getElementById("token-maps").replaceChildren(...tokenMaps(data));
  document.getElementById("text-json").textContent = JSON.stringify(data, null, 2);
  document.getElementById("text-result").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("image-form").addEventListener("submit", explainImage);
  document.getElementById("text-form").addEventListener("submit", explainText);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) {
        t.classList.toggle("active", t === tab);
        document.getElementById(t.dataset.tab).hidden = t !== tab;
      }
    });
  }
});
