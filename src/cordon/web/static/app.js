// cordon dashboard: draws the charts from the page's JSON and follows the live alert stream.
// Loaded with `defer`; no inline script anywhere (the CSP forbids it).
"use strict";

(function () {
  const COLORS = {
    exposed: "#e0a100", suspected: "#e36b00", confirmed: "#c0392b", cleared: "#2e8b57",
    free: "#8a94a6", quarantined: "#d99a00", isolated: "#b03a2e", missing: "#6c3483", departed: "#34495e",
  };
  const BASE_LAYOUT = {
    margin: { l: 44, r: 12, t: 8, b: 40 }, height: 280, barmode: "group",
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", y: -0.25 }, font: { size: 12 },
  };
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function countAxis(top) {
    // Whole persons: integer ticks, one per unit while the counts are small.
    return top <= 10 ? { rangemode: "tozero", dtick: 1 } : { rangemode: "tozero", tickformat: ",d" };
  }

  function drawCharts() {
    const holder = document.getElementById("chart-data");
    if (!holder || typeof Plotly === "undefined") return;
    const data = JSON.parse(holder.textContent);
    const states = document.getElementById("chart-states");
    if (states) {
      const traces = [["clinical", data.clinical], ["containment", data.containment]].map(([axis, counts]) => {
        const names = Object.keys(counts).filter((k) => k !== "free");
        return {
          type: "bar", name: axis, x: names, y: names.map((k) => counts[k]),
          marker: { color: names.map((k) => COLORS[k] || "#607d8b") },
        };
      });
      const order = traces.flatMap((t) => t.x);
      const top = Math.max(1, ...traces.flatMap((t) => t.y));
      Plotly.newPlot(states, traces, Object.assign({}, BASE_LAYOUT, {
        showlegend: false,
        xaxis: { categoryorder: "array", categoryarray: order },
        yaxis: countAxis(top),
      }), CONFIG);
    }
    const curve = document.getElementById("chart-curve");
    if (curve && data.curve.days.length) {
      const traces = Object.entries(data.curve.series).map(([name, ys]) => ({
        type: "bar", name: name, x: data.curve.days, y: ys,
        marker: { color: COLORS[name] || undefined },
      }));
      const top = Math.max(1, ...traces.flatMap((t) => t.y));
      Plotly.newPlot(curve, traces, Object.assign({}, BASE_LAYOUT, {
        xaxis: { type: "date", tickformat: "%d %b" },
        yaxis: countAxis(top),
      }), CONFIG);
    }
    document.querySelectorAll('[data-chart="analysis"]').forEach((el) => {
      const fig = data.analyses[Number(el.dataset.index)];
      if (!fig) return;
      Plotly.newPlot(el, fig.data || [], Object.assign({}, BASE_LAYOUT, fig.layout || {}), CONFIG);
      if (el.dataset.links === "people") {
        // Transmission graph: a click on a person opens their page.
        el.on("plotly_click", (event) => {
          const url = event.points.length ? event.points[0].customdata : null;
          if (typeof url === "string" && url.startsWith("/people/")) window.location.assign(url);
        });
      }
    });
  }

  function alertItem(alert) {
    const li = document.createElement("li");
    li.className = "alert new " + alert.severity;
    li.dataset.id = String(alert.id);
    const time = document.createElement("time");
    time.textContent = new Date(alert.at * 1000).toISOString().replace(".000Z", "Z");
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = alert.kind.replace(/_/g, " ");
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = alert.message;
    li.append(time, kind, message);
    return li;
  }

  function followAlerts() {
    const live = document.getElementById("live-alerts");
    if (!live || typeof EventSource === "undefined") return;
    const feed = document.getElementById("alert-feed");
    const badge = document.getElementById("alert-badge");
    const state = document.getElementById("stream-state");
    let unseen = 0;
    const source = new EventSource(live.dataset.stream);
    source.onopen = () => { if (state) state.textContent = "live"; };
    source.onerror = () => { if (state) state.textContent = "reconnecting…"; };
    source.addEventListener("alert", (event) => {
      const alert = JSON.parse(event.data);
      if (feed) {
        if (feed.querySelector(`[data-id="${alert.id}"]`)) return;
        const empty = feed.querySelector(".empty");
        if (empty) empty.remove();
        feed.prepend(alertItem(alert));
      } else if (badge) {
        unseen += 1;
        badge.textContent = String(unseen);
        badge.hidden = false;
      }
    });
    window.addEventListener("pagehide", () => source.close());
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    followAlerts();
  });
})();
