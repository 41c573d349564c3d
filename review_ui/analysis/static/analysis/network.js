/* adscan network explorer: the cluster graph and the per-city timeline, drawn
 * as SVG by this file alone (no external library, no inline script; data comes
 * from the json_script element "cluster-data"). Ad content is only ever set as
 * text (textContent), never as markup. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var dataEl = document.getElementById("cluster-data");
  if (!dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function title(node, text) { el("title", {}, node).textContent = text; }
  function adUrl(adId) { return data.ad_url.replace("AD_ID", encodeURIComponent(adId)); }
  function riskClass(band) { return "risk-" + (band || "unknown"); }

  // Seeded pseudo-random numbers: the same cluster is laid out the same way every time.
  function rng(seed) {
    var s = seed % 2147483647; if (s <= 0) { s += 2147483646; }
    return function () { s = (s * 16807) % 2147483647; return (s - 1) / 2147483646; };
  }

  function layout(nodes, edges, width, height) {
    var n = nodes.length, rand = rng(n * 7919 + edges.length), i, j, it;
    var index = {};
    nodes.forEach(function (d, k) {
      index[d.id] = k;
      var a = 2 * Math.PI * k / Math.max(1, n);
      d.x = width / 2 + (width / 3) * Math.cos(a) + rand() * 10;
      d.y = height / 2 + (height / 3) * Math.sin(a) + rand() * 10;
    });
    var links = edges.map(function (e) { return [index[e.source], index[e.target]]; })
      .filter(function (p) { return p[0] !== undefined && p[1] !== undefined; });
    var k = Math.sqrt((width * height) / Math.max(1, n)) * 0.55;
    var temp = width / 8, iterations = n > 200 ? 120 : 260;
    for (it = 0; it < iterations; it++) {
      var dx = new Array(n).fill(0), dy = new Array(n).fill(0);
      for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
          var ex = nodes[i].x - nodes[j].x, ey = nodes[i].y - nodes[j].y;
          var d2 = ex * ex + ey * ey + 0.01, f = (k * k) / d2;
          dx[i] += ex * f; dy[i] += ey * f; dx[j] -= ex * f; dy[j] -= ey * f;
        }
      }
      links.forEach(function (p) {
        var a = nodes[p[0]], b = nodes[p[1]];
        var ex = a.x - b.x, ey = a.y - b.y, d = Math.sqrt(ex * ex + ey * ey) + 0.01, f = d / k;
        dx[p[0]] -= ex * f; dy[p[0]] -= ey * f; dx[p[1]] += ex * f; dy[p[1]] += ey * f;
      });
      for (i = 0; i < n; i++) {
        // A weak pull to the centre keeps separate parts on screen.
        dx[i] += (width / 2 - nodes[i].x) * 0.02; dy[i] += (height / 2 - nodes[i].y) * 0.02;
        var len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 0.01, step = Math.min(len, temp);
        nodes[i].x = Math.min(width - 30, Math.max(30, nodes[i].x + dx[i] / len * step));
        nodes[i].y = Math.min(height - 20, Math.max(20, nodes[i].y + dy[i] / len * step));
      }
      temp = Math.max(1, temp * 0.97);
    }
    return index;
  }

  function drawGraph(box) {
    var graph = data.graph, width = Math.max(600, box.clientWidth || 900), height = 520;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "network" }, box);
    var reasonEl = document.getElementById("graph-reason");
    var index = layout(graph.nodes, graph.edges, width, height);
    var edgeLayer = el("g", { "class": "edges" }, svg);
    var nodeLayer = el("g", { "class": "nodes" }, svg);
    graph.edges.forEach(function (e) {
      var a = graph.nodes[index[e.source]], b = graph.nodes[index[e.target]];
      if (!a || !b) { return; }
      var line = el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, "class": "edge edge-" + e.kind, "data-reason": e.reason }, edgeLayer);
      title(line, e.reason);
      line.addEventListener("mouseenter", function () { if (reasonEl) { reasonEl.textContent = e.reason; } line.classList.add("is-hot"); });
      line.addEventListener("mouseleave", function () { line.classList.remove("is-hot"); });
    });
    graph.nodes.forEach(function (d) {
      var g = el("g", { "class": "node node-" + d.type, transform: "translate(" + d.x + "," + d.y + ")", "data-node-id": d.id, tabindex: "0" }, nodeLayer);
      var shape;
      if (d.type === "ad") {
        shape = el("circle", { r: 9, "class": riskClass(d.risk_band) }, g);
        title(g, d.label + " — " + (d.city || "?") + " — risk " + Number(d.risk).toFixed(2));
        g.setAttribute("role", "link");
        var open = function () { window.location.href = adUrl(d.ad_id); };
        g.addEventListener("click", open);
        g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { open(); } });
      } else if (d.type === "phone") {
        shape = el("rect", { x: -8, y: -8, width: 16, height: 16, rx: 3 }, g);
        title(g, "phone " + d.label);
      } else if (d.type === "photo" || d.type === "photo_near") {
        shape = el("rect", { x: -9, y: -7, width: 18, height: 14 }, g);
        title(g, d.label);
      } else if (d.type === "text") {
        shape = el("polygon", { points: "0,-9 9,0 0,9 -9,0" }, g);
        title(g, d.label);
      } else {
        shape = el("polygon", { points: "0,-9 8,5 -8,5" }, g);
        title(g, d.type + " " + d.label);
      }
      shape.setAttribute("data-type", d.type);
      var label = el("text", { x: 12, y: 4, "class": "node-label" }, g);
      label.textContent = d.type === "ad" ? d.label + (d.city ? " · " + d.city : "") : d.label;
      g.addEventListener("mouseenter", function () {
        var ids = {};
        graph.edges.forEach(function (e) {
          if (e.source === d.id || e.target === d.id) { ids[e.source] = 1; ids[e.target] = 1; }
        });
        svg.classList.add("focus");
        nodeLayer.querySelectorAll(".node").forEach(function (n) {
          n.classList.toggle("is-near", !!ids[n.getAttribute("data-node-id")] || n === g);
        });
        edgeLayer.querySelectorAll(".edge").forEach(function (line, i) {
          var e = graph.edges[i];
          line.classList.toggle("is-near", !!e && (e.source === d.id || e.target === d.id));
        });
      });
      g.addEventListener("mouseleave", function () { svg.classList.remove("focus"); });
    });
  }

  function drawTimeline(box) {
    var rows = data.timeline.filter(function (r) { return r.first_seen; });
    if (!rows.length) { box.textContent = "–"; return; }
    var cities = [];
    rows.forEach(function (r) { if (cities.indexOf(r.city) < 0) { cities.push(r.city); } });
    var times = rows.map(function (r) { return Date.parse(r.first_seen); });
    var t0 = Math.min.apply(null, times), t1 = Math.max.apply(null, times);
    if (t1 === t0) { t0 -= 86400000; t1 += 86400000; }
    var left = 130, right = 20, rowH = 28, top = 20, width = Math.max(600, box.clientWidth || 900);
    var height = top + rowH * cities.length + 30;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "timeline-svg" }, box);
    function x(t) { return left + (width - left - right) * (t - t0) / (t1 - t0); }
    function y(city) { return top + rowH * cities.indexOf(city) + rowH / 2; }
    cities.forEach(function (c) {
      el("line", { x1: left, x2: width - right, y1: y(c), y2: y(c), "class": "row-line" }, svg);
      var t = el("text", { x: left - 8, y: y(c) + 4, "class": "row-label", "text-anchor": "end" }, svg);
      t.textContent = c;
    });
    var path = rows.map(function (r, i) { return (i ? "L" : "M") + x(times[i]).toFixed(1) + "," + y(r.city); }).join(" ");
    el("path", { d: path, "class": "route" }, svg);
    rows.forEach(function (r, i) {
      var a = el("a", { href: adUrl(r.ad_id) }, svg);
      var dot = el("circle", { cx: x(times[i]), cy: y(r.city), r: 6, "class": "dot " + (r.risk >= 0.7 ? "risk-high" : r.risk >= 0.4 ? "risk-medium" : "risk-low") }, a);
      title(dot, r.first_seen.slice(0, 10) + " · " + r.city + " · " + r.source + " · " + r.title);
    });
    [t0, (t0 + t1) / 2, t1].forEach(function (t, i) {
      var label = el("text", { x: x(t), y: height - 8, "class": "axis", "text-anchor": i === 0 ? "start" : i === 2 ? "end" : "middle" }, svg);
      label.textContent = new Date(t).toISOString().slice(0, 10);
    });
  }

  var graphBox = document.getElementById("network-graph");
  if (graphBox) { drawGraph(graphBox); }
  var timeBox = document.getElementById("timeline");
  if (timeBox) { drawTimeline(timeBox); }
})();
