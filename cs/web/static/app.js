// cs web: everything shown comes from terminals and transcripts and is
// untrusted, so text is only ever set with textContent (never innerHTML).
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function localTime(ts) {
  const d = new Date(ts);
  return isNaN(d) ? ts : d.toLocaleString();
}

function duration(a, b) {
  const s = Math.max(0, Math.round((new Date(b) - new Date(a)) / 1000));
  if (!isFinite(s)) return "-";
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
}

function decorate() {
  document.querySelectorAll("[data-ts].ts").forEach(n => { if (n.dataset.ts) n.textContent = localTime(n.dataset.ts); });
  document.querySelectorAll("td.duration").forEach(n => {
    n.textContent = n.dataset.start && n.dataset.end ? duration(n.dataset.start, n.dataset.end) : "-";
  });
}

// A hit's text with its matches marked, built from text nodes only.
function marked(text, spans) {
  const pre = el("pre");
  let pos = 0;
  for (const [s, e] of spans) {
    if (s < pos) continue;
    pre.append(text.slice(pos, s), el("mark", {}, text.slice(s, e)));
    pos = e;
  }
  pre.append(text.slice(pos));
  return pre;
}

// A session's page: OWNER/ID for a session the team shared (cs web --team).
function sessionPath(hit) {
  return "/session/" + (hit.owner ? encodeURIComponent(hit.owner) + "/" : "") + encodeURIComponent(hit.session_id);
}

function hitLink(hit) {
  const at = hit.direction === "transcript" || hit.owner ? hit.timestamp : (hit.segment === 1 ? "" + hit.offset : hit.segment + ":" + hit.offset);
  return sessionPath(hit) + "?at=" + encodeURIComponent(at);
}

function setupSearch() {
  const box = document.getElementById("q");
  if (!box) return;
  const source = document.getElementById("source");
  const member = document.getElementById("member");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  let timer = null, seq = 0;
  async function run() {
    const q = box.value.trim();
    const mine = ++seq;
    if (!q) { results.replaceChildren(); status.textContent = ""; return; }
    status.textContent = "searching…";
    const params = new URLSearchParams({q, source: source.value});
    if (member && member.value.trim()) params.set("member", member.value.trim());
    const response = await fetch("/api/search?" + params, {credentials: "same-origin"});
    const data = await response.json();
    if (mine !== seq) return;  // a newer query is on its way
    if (!response.ok) { status.textContent = data.error || "error"; return; }
    status.textContent = data.hits.length + " hit" + (data.hits.length === 1 ? "" : "s");
    const groups = data.sessions.map(group => {
      const first = group.hits[0];
      const title = el("h3", {}, el("a", {href: sessionPath(first)},
        (first.owner ? first.owner + " · " : "") + (first.project || "-") + " · " + first.session_id.slice(0, 8)));
      const items = group.hits.map(hit => {
        const link = el("a", {href: hitLink(hit), class: "hit-link"}, localTime(hit.timestamp) + " · " + (hit.kind || hit.source));
        return el("div", {class: "hit"}, link, marked(hit.text, hit.matches));
      });
      return el("section", {class: "group"}, title, ...items);
    });
    results.replaceChildren(...groups);
    history.replaceState(null, "", "/search?" + new URLSearchParams({q}));
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(run, 200); };
  box.addEventListener("input", later);
  source.addEventListener("change", later);
  if (member) member.addEventListener("input", later);
  if (box.value) run();
}

document.addEventListener("DOMContentLoaded", () => {
  decorate();
  setupSearch();
  if (window.csPlayer) window.csPlayer();
});

// The end of an asciicast v3 in the player's time (intervals relative, idle
// stretches cut to `limit` seconds as the player cuts them).
function castEnd(lines, limit) {
  let t = 0;
  for (const line of lines.slice(1)) {
    if (!line.startsWith("[")) continue;
    try { t += Math.min(JSON.parse(line)[0], limit); } catch (e) { /* a comment or a torn line */ }
  }
  return t;
}

// The session page: a terminal player (asciinema-player, vendored), opened at
// the moment a search hit points to (?at=), live for a running session; a
// click on an entry of the story beside it opens the player at its moment.
window.csPlayer = function () {
  const box = document.getElementById("player");
  if (!box || !window.AsciinemaPlayer) return;
  const sid = box.dataset.session;
  const base = box.dataset.base || "/api/session/" + encodeURIComponent(sid);
  let player = null;
  async function open(at) {
    if (player) player.dispose();
    box.replaceChildren();
    if (box.dataset.live && !at) {
      player = AsciinemaPlayer.create(
        {driver: "eventsource", url: base + "/live"},
        box, {autoPlay: true, fit: "width"});
      // When the session ends, the live view becomes the recording.
      player.addEventListener("ended", () => {
        delete box.dataset.live;
        document.querySelectorAll(".badge.live").forEach(b => b.remove());
        open("end");
      });
    } else {
      // The cast starts with the screen at that moment (the server's seek):
      // that first frame is also the poster, so the moment shows at once.
      const url = base + "/cast" + (at ? "?at=" + encodeURIComponent(at) : "");
      const response = await fetch(url, {credentials: "same-origin"});
      if (!response.ok) { box.textContent = (await response.text()).trim(); return; }
      const cast = await response.text();
      const lines = cast.split("\n");
      let first = "";
      try { first = JSON.parse(lines[1])[2]; } catch (e) { first = ""; }
      // Opened at a moment: the poster is that moment's screen; else the
      // session's last screen (the end of the window), never a black box.
      const poster = at ? "data:text/plain," + first : "npt:" + castEnd(lines, 2).toFixed(3);
      player = AsciinemaPlayer.create({data: cast}, box, {preload: true, fit: "width", idleTimeLimit: 2, poster});
      try { windowStart = JSON.parse(lines[0]).timestamp || null; } catch (e) { windowStart = null; }
    }
    window.csPlayerInstance = player;
  }

  // Keep the conversation in step: the message last written before the
  // moment the player shows is marked as the current one.
  let windowStart = null;
  const entries = Array.from(document.querySelectorAll("#conversation .entry"))
    .map(node => ({node, t: new Date(node.dataset.ts).getTime() / 1000}));
  setInterval(async () => {
    if (!player || windowStart === null || !entries.length) return;
    const now = windowStart + (await player.getCurrentTime());
    let current = null;
    for (const entry of entries) if (entry.t <= now + 0.5) current = entry;
    entries.forEach(e => e.node.classList.toggle("current", e === current));
  }, 500);
  open(box.dataset.at || "");
  document.querySelectorAll("#conversation .entry").forEach(entry => {
    entry.addEventListener("click", () => {
      document.querySelectorAll("#conversation .entry.current").forEach(e => e.classList.remove("current"));
      entry.classList.add("current");
      open(entry.dataset.at || entry.dataset.ts);
    });
  });
};
