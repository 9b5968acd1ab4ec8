#include "report/html_report_assets.hpp"

namespace pipecut::html_assets {

// System fonts only: the page must not fetch anything.
const char* const kStyle = R"CSS(
:root { --ink: #1d2430; --muted: #5b6675; --line: #d9dee5; --soft: #f4f6f8; --ok: #1e7f4f;
        --warn: #a15c00; --bad: #b3261e; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
header h1 { font-size: 22px; margin: 0 0 2px; font-weight: 650; }
header .sub { color: var(--muted); margin: 0; }
h2 { font-size: 17px; margin: 28px 0 4px; font-weight: 650; }
.lead { color: var(--muted); margin: 0 0 10px; max-width: 70em; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin: 16px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: #fff; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; margin: 2px 0; }
.card .note { color: var(--muted); font-size: 12.5px; }
.card.key { border-color: #1d2430; border-width: 2px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #dff3e8; color: var(--ok); }
.badge.warn { background: #fdf0dc; color: var(--warn); }
.badge.bad { background: #fbe4e2; color: var(--bad); }
.alert { margin: 10px 0; padding: 10px 14px; border-radius: 6px; background: #fbe4e2; color: var(--bad); border: 1px solid var(--bad); }
.verdict { margin: 4px 0 6px; padding: 8px 12px; background: var(--soft); border-radius: 6px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.facts { margin: 8px 0 0; }
table.facts th { text-align: left; color: var(--muted); font-weight: 500; padding: 1px 18px 1px 0; vertical-align: top; }
table.facts td { padding: 1px 0; }
table.data { width: 100%; margin: 6px 0 0; font-size: 13px; }
table.data th, table.data td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.data th { background: var(--soft); font-weight: 600; position: sticky; top: 0; }
table.data td.l, table.data th.l { text-align: left; }
table.data tr.bottleneck td { font-weight: 700; background: #fff7e0; }
.chip { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--muted); font-size: 12.5px; margin: 4px 0; }
.legend span { white-space: nowrap; }
.swatch { display: inline-block; width: 18px; height: 10px; margin-right: 5px; vertical-align: -1px; border: 1px solid #8a94a3; }
.swatch.work { background: #56677d; }
.swatch.recv { background: #b9c3cf; }
.swatch.send { background: repeating-linear-gradient(135deg, #b9c3cf 0 3px, #56677d 3px 4px); }
svg { display: block; font-family: inherit; }
svg text { fill: var(--ink); }
svg .axis text, svg .muted { fill: var(--muted); font-size: 11px; }
svg .gridline { stroke: #e8ebef; stroke-width: 1; }
svg .axisline { stroke: #9aa3ae; stroke-width: 1; }
svg .halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.chart { width: 100%; height: auto; }
.toolbar { display: flex; gap: 6px; align-items: center; margin: 6px 0; font-size: 12.5px; color: var(--muted); }
.toolbar button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); background: #fff; border-radius: 5px; cursor: pointer; color: var(--ink); }
.toolbar button:hover { background: var(--soft); }
.viewport { border: 1px solid var(--line); border-radius: 6px; overflow: auto; max-height: 78vh; cursor: grab; background: #fcfcfd; }
.viewport.dragging { cursor: grabbing; user-select: none; }
#graph-view .item:hover rect { stroke: #000; stroke-width: 2; }
#tip { position: fixed; z-index: 10; pointer-events: none; max-width: 460px; white-space: pre-wrap;
       background: #1d2430; color: #fff; font-size: 12px; line-height: 1.4; padding: 6px 9px; border-radius: 5px; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
.scroll-table { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media print {
  main { max-width: none; padding: 0; }
  .toolbar, #tip { display: none !important; }
  .viewport, .scroll-table { overflow: visible; max-height: none; border: none; }
  #graph-view { width: 100% !important; height: auto !important; }
  .cards { grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; }
  .card .value { font-size: 17px; }
  .card .label { font-size: 10px; }
  .cards, svg.chart, .viewport, .verdict, table.facts { break-inside: avoid-page; }
  h2, .lead, .legend { break-after: avoid-page; }
  table.data th { position: static; }
}
)CSS";

// Progressive enhancement only: without the script the page still shows everything, with the
// browser's own tooltips (SVG <title>) and native scrolling of the graph.
const char* const kScript = R"JS(
(function () {
  "use strict";
  var tip = document.getElementById("tip");
  var hovers = document.querySelectorAll("svg .hover");
  for (var i = 0; i < hovers.length; i++) {
    var t = hovers[i].querySelector("title");
    if (t) { hovers[i].setAttribute("data-tip", t.textContent); t.parentNode.removeChild(t); }
  }
  function place(ev) {
    var r = tip.getBoundingClientRect();
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + r.width > window.innerWidth - 8) x = Math.max(8, ev.clientX - r.width - 14);
    if (y + r.height > window.innerHeight - 8) y = Math.max(8, ev.clientY - r.height - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  document.addEventListener("mousemove", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (!el || dragging) { tip.hidden = true; return; }
    if (tip.textContent !== el.getAttribute("data-tip")) tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    place(ev);
  });

  var box = document.getElementById("graph-viewport");
  var svg = document.getElementById("graph-view");
  var label = document.getElementById("zoom-level");
  var dragging = false;
  if (box && svg) {
    var w0 = parseFloat(svg.getAttribute("width")), h0 = parseFloat(svg.getAttribute("height"));
    var zoom = 1;
    var setZoom = function (z, clientX, clientY) {
      var rect = box.getBoundingClientRect();
      var px = clientX === undefined ? box.clientWidth / 2 : clientX - rect.left;
      var py = clientY === undefined ? box.clientHeight / 2 : clientY - rect.top;
      var ux = (box.scrollLeft + px) / zoom, uy = (box.scrollTop + py) / zoom;
      zoom = Math.min(8, Math.max(0.05, z));
      svg.setAttribute("width", (w0 * zoom).toFixed(1));
      svg.setAttribute("height", (h0 * zoom).toFixed(1));
      box.scrollLeft = ux * zoom - px;
      box.scrollTop = uy * zoom - py;
      if (label) label.textContent = Math.round(zoom * 100) + " %";
    };
    var fit = function () { setZoom(Math.min(1, (box.clientWidth - 4) / w0)); box.scrollLeft = 0; box.scrollTop = 0; };
    document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
    document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
    document.getElementById("zoom-fit").addEventListener("click", fit);
    document.getElementById("zoom-one").addEventListener("click", function () { setZoom(1); });
    box.addEventListener("wheel", function (ev) {
      if (!ev.ctrlKey && !ev.metaKey) return;  // plain wheel scrolls the page and the view
      ev.preventDefault();
      setZoom(zoom * Math.exp(-ev.deltaY * 0.0015), ev.clientX, ev.clientY);
    }, { passive: false });
    var start = null;
    box.addEventListener("mousedown", function (ev) {
      if (ev.button !== 0) return;
      start = { x: ev.clientX, y: ev.clientY, left: box.scrollLeft, top: box.scrollTop };
      dragging = true;
      box.classList.add("dragging");
      ev.preventDefault();
    });
    window.addEventListener("mousemove", function (ev) {
      if (!start) return;
      box.scrollLeft = start.left - (ev.clientX - start.x);
      box.scrollTop = start.top - (ev.clientY - start.y);
    });
    window.addEventListener("mouseup", function () {
      start = null;
      dragging = false;
      box.classList.remove("dragging");
    });
    fit();
  }
  document.documentElement.setAttribute("data-report-ready", "1");
})();
)JS";

}  // namespace pipecut::html_assets
