// The jobs page: start a job (server path or uploaded images), list jobs with progress, open
// reports. With a token configured, a report is fetched with the bearer header and shown in a
// sandboxed iframe (no scripts, opaque origin); without one the link opens it directly.
"use strict";

function jobRow(job) {
  const p = job.progress || {};
  const done = (p.done || 0) + (p.failed || 0);
  const bar = el("progress", { max: String(p.total || 1), value: String(done) });
  const link = el("a", { href: job.report_url, class: "report-link", "data-job": job.id, text: "report" });
  const finished = ["done", "failed", "cancelled"].includes(job.status);
  const cancel = finished ? null : el("button", { type: "button", class: "cancel-job", "data-job": job.id, text: "cancel" });
  return el("tr", { "data-job": job.id },
    el("td", { text: job.id }),
    el("td", {}, el("span", { class: "status-chip " + job.status, text: job.status })),
    el("td", {}, bar, " " + done + "/" + (p.total || 0) + (p.failed ? " (" + p.failed + " failed)" : "")),
    el("td", { class: "path", text: job.input || "" }),
    el("td", { text: new Date(job.created).toLocaleString() }),
    el("td", {}, link, " ", cancel, job.error ? el("div", { class: "error", text: job.error }) : null));
}

async function refresh() {
  const { ok, data } = await api("/v1/jobs");
  if (!ok) { setStatus(data.error || "cannot list jobs", "error"); return; }
  document.getElementById("jobs").replaceChildren(...data.map(jobRow));
  document.getElementById("no-jobs").hidden = data.length > 0;
}

async function openReport(event) {
  const link = event.target.closest("a.report-link");
  if (!link || document.body.dataset.authRequired !== "true") return;
  event.preventDefault();
  const { ok, data } = await api(link.getAttribute("href"));
  if (!ok) { setStatus(data.error || "cannot load the report", "error"); return; }
  document.getElementById("report-title").textContent = "Report · " + link.dataset.job;
  document.getElementById("report-frame").srcdoc = data;
  document.getElementById("report-view").hidden = false;
}

async function cancelJob(event) {
  const button = event.target.closest("button.cancel-job");
  if (!button) return;
  button.disabled = true;
  const { ok, data } = await api("/v1/jobs/" + encodeURIComponent(button.dataset.job), { method: "DELETE" });
  setStatus(ok ? "job " + data.id + " cancelled" : (data.error || "cannot cancel"), ok ? "ok" : "error");
  refresh();
}

async function startJob(event) {
  event.preventDefault();
  const options = {};
  for (const key of ["method", "segmenter", "verbalizer"]) {
    const value = document.getElementById("job-" + key).value;
    if (value) options[key] = value;  // "" is the server's default: leave the key out
  }
  const input = document.getElementById("job-input").value.trim();
  const files = document.getElementById("job-files").files;
  let result;
  if (files.length) {
    const form = new FormData();
    for (const f of files) form.append("files", f);
    for (const [key, value] of Object.entries(options)) form.append(key, value);
    result = await api("/v1/jobs/upload", { method: "POST", body: form });
  } else if (input) {
    result = await api("/v1/jobs", { method: "POST", headers: { "Content-Type": "application/json" },
                                     body: JSON.stringify({ input, options }) });
  } else {
    setStatus("give a server path or choose images", "error");
    return;
  }
  if (!result.ok) { setStatus(result.data.error || "failed", "error"); return; }
  setStatus("job " + result.data.id + " started", "ok");
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("job-form").addEventListener("submit", startJob);
  document.getElementById("jobs").addEventListener("click", openReport);
  document.getElementById("jobs").addEventListener("click", cancelJob);
  refresh();
  setInterval(refresh, 3000);
});
