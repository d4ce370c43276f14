// The statistics dashboard: signs in, keeps the access token in memory only, and shows the
// API's own SVG charts (fetched with the token, shown through object URLs).
"use strict";

const state = { token: null, year: new Date().getFullYear(), urls: [] };
const $ = (sel) => document.querySelector(sel);

async function api(path, accept) {
  const headers = {
    Authorization: "Bearer " + state.token,
    Accept: accept || "application/json",
    // The page is Chinese, so are its charts and files, whatever the browser's own language.
    "Accept-Language": document.documentElement.lang,
  };
  const res = await fetch(path, { headers });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.message || res.status);
  }
  return res;
}

function fill(query) {
  return query.replaceAll("{year}", state.year).replaceAll("{prev}", state.year - 1);
}

function wan(fen) {
  return (fen / 1e6).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 万元";
}

async function showTarget() {
  const body = await (await api("/api/v1/stats/targets")).json();
  const t = body.items.find((i) => i.year === state.year);
  const box = $("#target");
  box.replaceChildren();
  const title = document.createElement("div");
  title.textContent = state.year + " 年登记成交额";
  const figure = document.createElement("div");
  figure.className = "figure";
  if (!t) {
    figure.textContent = "未设定年度目标";
    box.append(title, figure);
    return;
  }
  figure.textContent = wan(t.turnover_fen) + " / 目标 " + wan(t.target_fen);
  const bar = document.createElement("div");
  bar.className = "bar";
  const fill = document.createElement("span");
  fill.style.width = Math.min(100, t.share_bp / 100) + "%";
  bar.append(fill);
  box.append(title, figure, bar);
}

async function showCharts() {
  state.urls.forEach((u) => URL.revokeObjectURL(u));
  state.urls = [];
  const charts = Array.from(document.querySelectorAll("img.chart"));
  await Promise.all(charts.map(async (img) => {
    img.removeAttribute("data-loaded");
    const report = img.dataset.report || "turnover";
    const res = await api("/api/v1/stats/" + report + "?" + fill(img.dataset.query) + "&format=svg", "image/svg+xml");
    const url = URL.createObjectURL(await res.blob());
    state.urls.push(url);
    await new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; img.src = url; });
    img.dataset.loaded = "true";
  }));
}

async function refresh() {
  await Promise.all([showTarget(), showCharts()]);
  document.body.dataset.ready = "true";
}

async function download(format) {
  const status = $("#download-status");
  const res = await api("/api/v1/stats/turnover?group_by=quarter,seller_region&year=" + state.year + "&format=" + format);
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "turnover-" + state.year + "." + format;
  document.body.append(a);
  a.click();
  a.remove();
  status.textContent = "已下载 " + a.download + "（" + blob.size + " 字节）";
  status.dataset.bytes = String(blob.size);
}

function start() {
  const years = $("#year");
  for (let y = state.year; y >= state.year - 5; y--) {
    const o = document.createElement("option");
    o.value = o.textContent = String(y);
    years.append(o);
  }
  years.addEventListener("change", () => { state.year = Number(years.value); delete document.body.dataset.ready; refresh(); });
  $("#signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: $("#email").value, password: $("#password").value }),
    });
    const body = await res.json();
    if (!res.ok) { $("#signin-error").textContent = body.message; return; }
    state.token = body.access_token;
    $("#signin").hidden = true;
    $("#board").hidden = false;
    $("#period").hidden = false;
    refresh().catch((err) => { $("#signin-error").textContent = err.message; });
  });
  $("#signout").addEventListener("click", () => { state.token = null; location.reload(); });
  document.querySelectorAll("[data-download]").forEach((b) =>
    b.addEventListener("click", () => download(b.dataset.download).catch((err) => { $("#download-status").textContent = err.message; })));
}

document.addEventListener("DOMContentLoaded", start);
