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
      // Today is still under way: its bars are hatched and pale, and labelled so.
      const complete = data.curve.complete || [];
      const open = data.curve.days.map((_, k) => complete[k] === false);
      const traces = Object.entries(data.curve.series).map(([name, ys]) => ({
        type: "bar", name: name, x: data.curve.days, y: ys,
        marker: {
          color: COLORS[name] || undefined,
          opacity: open.map((o) => (o ? 0.45 : 1)),
          pattern: { shape: open.map((o) => (o ? "/" : "")), fgcolor: "#333", size: 6 },
        },
      }));
      const top = Math.max(1, ...traces.flatMap((t) => t.y));
      const annotations = data.curve.days.filter((_, k) => open[k]).map((day) => ({
        x: day, y: top, yanchor: "bottom", text: "today (incomplete)", showarrow: false,
        font: { size: 11, color: "#555" },
      }));
      Plotly.newPlot(curve, traces, Object.assign({}, BASE_LAYOUT, {
        xaxis: { type: "date", tickformat: "%d %b", dtick: 86400000 },
        yaxis: Object.assign(countAxis(top), { range: [0, top * 1.15] }),
        annotations: annotations,
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

  function stationTime(iso, zone) {
    // The one readable form of the pages: 2026-11-24 08:00:00 in the station's zone.
    try {
      return new Intl.DateTimeFormat("sv-SE", {
        timeZone: zone || "UTC", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      }).format(new Date(iso));
    } catch (e) {
      return String(iso).slice(0, 19).replace("T", " ");
    }
  }

  function alertItem(alert, zone) {
    const li = document.createElement("li");
    li.className = "alert new " + alert.severity;
    li.dataset.id = String(alert.id);
    const pick = document.createElement("span");
    pick.className = "pick";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "ids";
    box.value = String(alert.id);
    box.setAttribute("aria-label", "select alert " + alert.id);
    pick.append(box);
    const time = document.createElement("time");
    time.textContent = stationTime(alert.at, zone);
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = alert.kind.replace(/_/g, " ");
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = alert.message;
    const ack = document.createElement("span");
    ack.className = "ack";
    const button = document.createElement("button");
    button.type = "submit";
    button.name = "one";
    button.value = String(alert.id);
    button.className = "ack-one";
    button.textContent = "Acknowledge";
    ack.append(button);
    li.append(pick, time, kind, message, ack);
    return li;
  }

  function followAlerts() {
    const live = document.getElementById("live-alerts");
    if (!live || typeof EventSource === "undefined") return;
    const found = document.getElementById("alert-feed");
    const feed = found && found.dataset.live === "yes" ? found : null;
    const badge = document.getElementById("alert-badge");
    const state = document.getElementById("stream-state");
    const source = new EventSource(live.dataset.stream);
    source.onopen = () => { if (state) state.textContent = "live"; };
    source.onerror = () => { if (state) state.textContent = "reconnecting…"; };
    source.addEventListener("alert", (event) => {
      const alert = JSON.parse(event.data);
      if (feed) {
        if (feed.querySelector(`[data-id="${alert.id}"]`)) return;
        const empty = feed.querySelector(".empty");
        if (empty) empty.remove();
        feed.prepend(alertItem(alert, live.dataset.zone));
      }
      if (badge && !alert.acknowledged_at) {
        badge.textContent = String(Number(badge.textContent || "0") + 1);
        badge.hidden = false;
      }
    });
    window.addEventListener("pagehide", () => source.close());
  }

  function refreshWhenReady() {
    // The overview's forecast runs as a job: ask the API until it is ready, then reload once.
    const marker = document.getElementById("refresh-when-ready");
    if (!marker) return;
    let tries = 0;
    const check = () => {
      tries += 1;
      fetch(marker.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((body) => {
          const busy = !body || body.analyses.some((a) => a.status === "computing" || a.status === "updating");
          if (!busy) window.location.reload();
          else if (tries < 120) window.setTimeout(check, 3000);
        })
        .catch(() => { if (tries < 120) window.setTimeout(check, 5000); });
    };
    window.setTimeout(check, 2000);
  }

  function selectAll() {
    const all = document.getElementById("check-all");
    if (!all) return;
    all.addEventListener("change", () => {
      document.querySelectorAll('#alert-feed input[name="ids"]').forEach((box) => {
        box.checked = all.checked;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    followAlerts();
    refreshWhenReady();
    selectAll();
  });
})();
