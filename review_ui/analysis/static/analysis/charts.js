/* adscan charts: line, bar, stacked bar and horizontal bar charts as SVG, from
 * the json_script elements "trends-data" (a list of charts) or "histogram-data"
 * (the search page's per-day counts). No external library, no inline script. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = 6;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, value, cls, anchor) {
    var t = el("text", { x: x, y: y, "class": cls || "axis", "text-anchor": anchor || "middle" }, parent);
    t.textContent = value;
    return t;
  }
  function niceMax(v) {
    if (v <= 0) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function legend(box, chart) {
    if (chart.series.length < 2) { return; }
    var ul = document.createElement("ul");
    ul.className = "chart-legend";
    chart.series.forEach(function (s, i) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "swatch s" + (i % PALETTE);
      li.appendChild(sw);
      li.appendChild(document.createTextNode(" " + s.name));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function hbar(box, chart) {
    var n = chart.x.length, rowH = 22, left = 170, right = 50, width = Math.max(420, box.clientWidth || 600);
    var height = Math.max(40, n * rowH * Math.max(1, chart.series.length) * 0.8 + 20);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "chart-svg" }, box);
    var max = 0;
    chart.series.forEach(function (s) { s.values.forEach(function (v) { max = Math.max(max, v); }); });
    max = niceMax(max);
    var band = (height - 20) / Math.max(1, n), per = band / (chart.series.length + 0.4);
    chart.x.forEach(function (label, i) {
      var y0 = 10 + band * i;
      text(svg, left - 6, y0 + band / 2 + 4, String(label).slice(0, 28), "axis", "end");
      chart.series.forEach(function (s, k) {
        var w = (width - left - right) * s.values[i] / max;
        var r = el("rect", { x: left, y: y0 + per * k + per * 0.2, width: Math.max(0, w), height: per * 0.9, "class": "bar s" + (k % PALETTE) }, svg);
        el("title", {}, r).textContent = label + " — " + s.name + ": " + s.values[i];
        text(svg, left + w + 4, y0 + per * k + per * 0.85, String(s.values[i]), "value", "start");
      });
    });
    if (!n) { text(svg, width / 2, 25, "–"); }
    legend(box, chart);
  }

  function columns(box, chart) {
    var n = chart.x.length, left = 44, right = 12, top = 12, bottom = 36;
    var width = Math.max(420, box.clientWidth || 600), height = 240;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "chart-svg" }, box);
    var stacked = chart.kind === "stacked", line = chart.kind === "line";
    var max = 0, i;
    for (i = 0; i < n; i++) {
      var sum = 0;
      chart.series.forEach(function (s) { sum = stacked ? sum + s.values[i] : Math.max(sum, s.values[i]); });
      max = Math.max(max, sum);
    }
    max = niceMax(max);
    var plotW = width - left - right, plotH = height - top - bottom, step = plotW / Math.max(1, n);
    function y(v) { return top + plotH - plotH * v / max; }
    [0, 0.5, 1].forEach(function (f) {
      el("line", { x1: left, x2: width - right, y1: y(max * f), y2: y(max * f), "class": "grid" }, svg);
      text(svg, left - 4, y(max * f) + 4, String(Math.round(max * f * 10) / 10), "axis", "end");
    });
    if (line) {
      chart.series.forEach(function (s, k) {
        var d = s.values.map(function (v, j) { return (j ? "L" : "M") + (left + step * (j + 0.5)).toFixed(1) + "," + y(v).toFixed(1); }).join(" ");
        el("path", { d: d, "class": "line s" + (k % PALETTE) }, svg);
        s.values.forEach(function (v, j) {
          var c = el("circle", { cx: left + step * (j + 0.5), cy: y(v), r: 3.5, "class": "point s" + (k % PALETTE) }, svg);
          el("title", {}, c).textContent = chart.x[j] + " — " + s.name + ": " + v;
        });
      });
    } else {
      for (i = 0; i < n; i++) {
        var base = 0;
        chart.series.forEach(function (s, k) {
          var v = s.values[i], w = stacked ? step * 0.8 : step * 0.8 / chart.series.length;
          var x = left + step * i + step * 0.1 + (stacked ? 0 : w * k);
          var r = el("rect", { x: x, y: y(base + v), width: Math.max(1, w), height: Math.max(0, y(base) - y(base + v)), "class": "bar s" + (k % PALETTE) }, svg);
          el("title", {}, r).textContent = chart.x[i] + " — " + s.name + ": " + v;
          if (stacked) { base += v; }
        });
      }
    }
    var every = Math.max(1, Math.ceil(n / 8));
    chart.x.forEach(function (label, j) {
      var last = j === n - 1 && (n - 1) % every >= every / 2;
      if (j % every === 0 || last) { text(svg, left + step * (j + 0.5), height - bottom + 16, String(label).slice(0, 10)); }
    });
    if (!n) { text(svg, width / 2, height / 2, "–"); }
    legend(box, chart);
  }

  function draw(box, chart) {
    box.textContent = "";
    if (chart.kind === "hbar") { hbar(box, chart); } else { columns(box, chart); }
  }

  var trends = document.getElementById("trends-data");
  if (trends) {
    var charts = JSON.parse(trends.textContent), byId = {};
    charts.forEach(function (c) { byId[c.id] = c; });
    document.querySelectorAll(".js-chart").forEach(function (box) {
      var c = byId[box.getAttribute("data-chart-id")];
      if (c) { draw(box, c); }
    });
  }
  var hist = document.getElementById("histogram-data");
  var histBox = document.querySelector('.js-chart[data-chart-id="histogram"]');
  if (hist && histBox) {
    var rows = JSON.parse(hist.textContent);
    draw(histBox, {
      kind: "bar", x: rows.map(function (r) { return r.x; }),
      series: [{ name: "ads", values: rows.map(function (r) { return r.n; }) }]
    });
  }
})();
