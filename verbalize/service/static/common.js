// Shared by the pages: the API token (kept in sessionStorage, sent as a bearer header), a fetch
// wrapper that turns every answer into {ok, status, data}, and a DOM builder that only ever sets
// textContent — text from a model or an LLM is never parsed as HTML on these pages.
"use strict";

const TOKEN_KEY = "verbalize.token";

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: "Bearer " + token } : {};
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, authHeaders());
  let response;
  try {
    response = await fetch(path, Object.assign({}, options, { headers }));
  } catch (e) {
    return { ok: false, status: 0, data: { error: "the service cannot be reached (" + e.message + ")" } };
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("application/json")) {
    data = await response.json();
  } else {
    data = await response.text();
  }
  if (!response.ok && (data === null || typeof data !== "object")) {
    data = { error: "HTTP " + response.status };
  }
  if (response.status === 503) {
    data.error += " (retry after " + (response.headers.get("Retry-After") || "?") + " s)";
  }
  return { ok: response.ok, status: response.status, data };
}

// el("td", {class: "x", text: "y"}, child1, child2): text always goes through textContent.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setStatus(message, kind = "") {
  const status = document.getElementById("status");
  status.textContent = message;
  status.className = "status " + kind;
}

function pct(x) {
  return typeof x === "number" && isFinite(x) ? (100 * x).toFixed(1) + "%" : "–";
}

function num(x, digits = 3) {
  return typeof x === "number" && isFinite(x) ? x.toFixed(digits) : "–";
}

document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("token");
  if (!input) return;
  input.value = sessionStorage.getItem(TOKEN_KEY) || "";
  input.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, input.value.trim()));
});
