/* The delay report's charts: the one implementation of each, drawn in the page from the
   embedded aggregates (report_payload.py), redrawn when the month or carrier filter changes.
   Each chart gives plotly its traces, a coverage sentence, a table of its numbers and a CSV of
   exactly that table. Groups with fewer flights than the dbt var min_sample_flights are drawn
   pale and hatched, and never named best or worst. */
/* The payload comes gzipped and base64-encoded (report_payload.py); the browser's own
   DecompressionStream unpacks it. */
"use strict";

async function unpackReportPayload() {
  const text = document.getElementById("report-payload").textContent.trim();
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

unpackReportPayload().then((P) => {
  const MIN = P.minSampleFlights;
  const FONT = getComputedStyle(document.body).fontFamily;
  const CONFIG = {displaylogo: false, responsive: true};
  const SMALL_OPACITY = 0.35;
  const SMALL_PATTERN = "/";
  const SMALL_LEGEND = "Pale, hatched: fewer than " + MIN + " flights (small sample)";
  const COLORS = {
    operated: "#9aa5b1", delayed: "#e4572e", rate: "#1d3557",
    onTime: "#2a9d8f", late: "#e9c46a", cancelled: "#e76f51", diverted: "#6d597a",
  };
  // One colour per BTS cause; a cancellation reason has its cause's colour, "Not given" a
  // grey that no other meaning uses.
  const CAUSE_COLORS = ["#e4572e", "#457b9d", "#e9c46a", "#6a4c93", "#2a9d8f"];
  const REASON_COLORS = ["#e4572e", "#457b9d", "#e9c46a", "#6a4c93", "#c5ccd3"];
  const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"];
  const TOP = 15;

  // -- the data, indexed --------------------------------------------------------------------
  const monthOfDay = P.days.map((day) => P.months.indexOf(day.slice(0, 7)));
  const carrierLabel = P.carriers.code.map((code, i) =>
    P.carriers.name[i] && P.carriers.name[i] !== code ? P.carriers.name[i] + " (" + code + ")"
      : code);
  const bySource = {};
  P.daySources.day.forEach((day, i) => {
    bySource[day] = {scheduled: P.daySources.scheduled[i], bts: P.daySources.fromBtsFiles[i]};
  });
  const state = {from: 0, to: P.months.length - 1,
                 carriers: new Set(P.carriers.code.map((_, i) => i))};

  // -- numbers and words ---------------------------------------------------------------------
  const num = (value) => Number(value).toLocaleString("en-US");
  const rate = (part, whole) => (whole > 0 ? (100 * part) / whole : null);
  const round2 = (value) => (value === null ? null : Math.round(value * 100) / 100);
  const pct = (value) => (value === null ? "n/a" : value.toFixed(1) + " %");
  // "1 flight with cause data", "2 flights with cause data", "3 carriers".
  const plural = (count, noun) => num(count) + " " + (count === 1 ? noun
    : /\bflight\b/.test(noun) ? noun.replace(/\bflight\b/, "flights") : noun + "s");
  const isSmall = (flights) => flights < MIN;

  function rowsOf(table, keep) {
    const found = [];
    const length = Object.values(table)[0].length;
    for (let i = 0; i < length; i += 1) { if (keep(i)) { found.push(i); } }
    return found;
  }
  function group(table, rows, keyOf, fields) {
    const groups = new Map();
    rows.forEach((i) => {
      const key = keyOf(i);
      let sums = groups.get(key);
      if (!sums) {
        sums = {key: key};
        fields.forEach((field) => { sums[field] = 0; });
        groups.set(key, sums);
      }
      fields.forEach((field) => { sums[field] += table[field][i]; });
    });
    return groups;
  }
  const monthIn = (month) => month >= state.from && month <= state.to;
  const carrierIn = (carrier) => state.carriers.has(carrier);
  const dayRows = () => rowsOf(P.dayCarriers, (i) =>
    monthIn(monthOfDay[P.dayCarriers.day[i]]) && carrierIn(P.dayCarriers.carrier[i]));
  const monthRows = (table, byCarrier = true) => rowsOf(table, (i) =>
    monthIn(table.month[i]) && (!byCarrier || carrierIn(table.carrier[i])));
  const inCarrierOrder = (groups) => Array.from(groups.values()).sort((a, b) => a.key - b.key);

  /* The most delay-prone groups: those with MIN flights or more by rate, highest first; then,
     if fewer than `count`, the small ones (marked) by flights, most first. */
  function ranked(groups, count, flightsOf, rateOf) {
    const all = Array.from(groups.values());
    const large = all.filter((g) => !isSmall(flightsOf(g)))
      .sort((a, b) => (rateOf(b) - rateOf(a)) || (flightsOf(b) - flightsOf(a)) || (a.key < b.key ? -1 : 1));
    const small = all.filter((g) => isSmall(flightsOf(g)))
      .sort((a, b) => (flightsOf(b) - flightsOf(a)) || (a.key < b.key ? -1 : 1));
    return large.slice(0, count).concat(small.slice(0, Math.max(0, count - large.length)));
  }
  /* "The highest delay rate: X, 12.3 % (4 of 33 operated flights)", among groups of MIN
     flights or more only (empty when none has). */
  function extreme(groups, labelOf, rateOf, flightsOf, countOf, noun, words) {
    const large = groups.filter((g) => !isSmall(flightsOf(g)) && rateOf(g) !== null);
    if (!large.length) {
      return groups.length ? " No group has " + MIN + " flights or more, so none is named." : "";
    }
    const pick = large.reduce((a, b) => (rateOf(b) > rateOf(a) ? b : a));
    return " " + words[0].toUpperCase() + words.slice(1) + ": " + labelOf(pick) + ", " +
      pct(rateOf(pick)) + " (" + num(countOf(pick)) + " of " + plural(flightsOf(pick), noun) +
      ")" + (groups.length > large.length ? "; groups under " + MIN + " flights are not named" : "") + ".";
  }
  const markers = (flights) => ({
    opacity: flights.map((f) => (isSmall(f) ? SMALL_OPACITY : 1)),
    pattern: {shape: flights.map((f) => (isSmall(f) ? SMALL_PATTERN : "")), solidity: 0.3},
  });
  function smallLegend(flights, horizontal) {
    if (!flights.some(isSmall)) { return []; }
    const empty = horizontal ? {x: [null], y: [null], orientation: "h"} : {x: [null], y: [null]};
    return [Object.assign(empty, {type: "bar", name: SMALL_LEGEND, showlegend: true,
      hoverinfo: "skip", marker: {color: "#9aa5b1", opacity: SMALL_OPACITY,
                                  pattern: {shape: SMALL_PATTERN, solidity: 0.3}}})];
  }

  // -- coverage ---------------------------------------------------------------------------
  function spans(days) {
    const sorted = Array.from(new Set(days)).sort((a, b) => a - b).map((d) => P.days[d]);
    const found = [];
    sorted.forEach((day) => {
      const last = found[found.length - 1];
      if (last && (Date.parse(day) - Date.parse(last[1])) === 86400000) { last[1] = day; }
      else { found.push([day, day]); }
    });
    return found.map(([a, b]) => (a === b ? a : a + " to " + b)).join(", ");
  }
  function sources(days) {
    const bts = days.filter((d) => bySource[d] && bySource[d].bts > 0);
    const daily = days.filter((d) => bySource[d] && bySource[d].scheduled > bySource[d].bts);
    return {bts: bts, daily: daily};
  }
  const filteredDays = () => Array.from(new Set(dayRows().map((i) => P.dayCarriers.day[i])));
  /* What a chart covers: its dates, sources and flights; `btsOnly` names the columns only
     the BTS monthly files have (the daily files' flights are then not in it). */
  function coverage(flights, noun, btsOnly, carriersApply = true) {
    const days = filteredDays();
    if (!days.length) { return "Covers no flights: no data in the months and carriers chosen."; }
    const found = sources(days);
    const carriers = !carriersApply ? "all carriers (this aggregate has no carrier: the " +
      "carrier filter does not apply)" : state.carriers.size === P.carriers.code.length
      ? "all carriers" : plural(state.carriers.size, "carrier");
    if (btsOnly) {
      const bts = found.bts.length ? "BTS monthly files, " + spans(found.bts) : "no BTS monthly file";
      const daily = found.daily.length ? " The daily files (" + spans(found.daily) + ") have no " +
        btsOnly + ": their flights are not in this chart." : "";
      return "Covers " + plural(flights, noun) + " of " + carriers + " from " + bts + "." + daily;
    }
    const parts = [];
    if (found.bts.length) { parts.push("BTS monthly files (" + spans(found.bts) + ")"); }
    if (found.daily.length) { parts.push("daily files (" + spans(found.daily) + ")"); }
    return "Covers " + plural(flights, noun) + " of " + carriers + ", " + spans(days) +
      "; sources: " + parts.join(" and ") + ".";
  }

  // -- layout --------------------------------------------------------------------------------
  function layout(height, extra) {
    return Object.assign({
      height: height, font: {family: FONT, size: 13}, paper_bgcolor: "#fff",
      plot_bgcolor: "#fff", margin: {l: 10, r: 10, t: 10, b: 10}, bargap: 0.2,
      // Below the plot: the toolbar (top right) never covers it.
      legend: {orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "bottom",
               yref: "container"},
      hoverlabel: {font: {family: FONT}}, showlegend: true,
      // A bar label that does not fit inside its bar is left out (hover and the table have it),
      // never drawn cut at the chart's edge.
      uniformtext: {mode: "hide", minsize: 10},
    }, extra);
  }
  const axis = (title, extra) => Object.assign({title: {text: title}, automargin: true,
    gridcolor: "#e6e9ed", zerolinecolor: "#9aa5b1"}, extra);
  const barHeight = (bars) => Math.max(340, 170 + 30 * bars);

  // -- the charts ------------------------------------------------------------------------
  const CARRIER_ORDER_NOTE = " Carriers in the page's one order: most scheduled flights first.";

  function carriers() {
    const groups = inCarrierOrder(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.carrier[i],
                                        ["operated", "delayed"]));
    const flights = groups.map((g) => g.operated);
    const rates = groups.map((g) => rate(g.delayed, g.operated));
    const labels = groups.map((g) => carrierLabel[g.key]);
    return {
      traces: [{type: "bar", orientation: "h", y: labels, x: rates, name: "Delay rate",
        marker: Object.assign({color: COLORS.delayed}, markers(flights)),
        customdata: groups.map((g) => [g.delayed, g.operated]),
        text: groups.map((g, i) => pct(rates[i]) + " (" + num(g.delayed) + " of " + num(g.operated) + ")"),
        textposition: "inside", insidetextanchor: "end",
        hovertemplate: "%{y}: %{x:.1f} % delayed (%{customdata[0]:,} of %{customdata[1]:,} " +
          "operated flights)<extra></extra>"}].concat(smallLegend(flights, true)),
      layout: layout(barHeight(groups.length), {
        yaxis: axis("Carrier", {autorange: "reversed", type: "category"}),
        xaxis: axis("Delay rate (% of operated)", {ticksuffix: " %", rangemode: "tozero"})}),
      sentence: CARRIER_ORDER_NOTE + extreme(groups, (g) => carrierLabel[g.key],
        (g) => rate(g.delayed, g.operated), (g) => g.operated, (g) => g.delayed,
        "operated flight", "the highest delay rate"),
      coverage: coverage(groups.reduce((s, g) => s + g.operated, 0), "operated flight"),
      table: {columns: ["Carrier", "Code", "Flights operated", "Flights delayed", "Delay rate (%)", "Small sample"],
        rows: groups.map((g, i) => [carrierLabel[g.key], P.carriers.code[g.key], g.operated,
                                    g.delayed, round2(rates[i]), isSmall(g.operated) ? "yes" : "no"])},
    };
  }

  function onTime() {
    const groups = inCarrierOrder(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.carrier[i],
      ["scheduled", "onTime", "arrivedLate", "cancelled", "diverted"]));
    const flights = groups.map((g) => g.scheduled);
    const labels = groups.map((g) => carrierLabel[g.key]);
    const parts = [["On time", COLORS.onTime, "onTime"], ["Arrived 15+ min late", COLORS.late, "arrivedLate"],
                   ["Cancelled", COLORS.cancelled, "cancelled"], ["Diverted", COLORS.diverted, "diverted"]];
    return {
      traces: parts.map(([name, color, field]) => ({
        type: "bar", orientation: "h", y: labels, name: name,
        x: groups.map((g) => rate(g[field], g.scheduled)),
        marker: Object.assign({color: color}, markers(flights)),
        customdata: groups.map((g) => [g[field], g.scheduled]),
        hovertemplate: "%{y}: %{x:.1f} % " + name.toLowerCase() + " (%{customdata[0]:,} of " +
          "%{customdata[1]:,} scheduled flights)<extra></extra>"})).concat(smallLegend(flights, true)),
      layout: layout(barHeight(groups.length), {barmode: "stack",
        yaxis: axis("Carrier", {autorange: "reversed", type: "category"}),
        xaxis: axis("Share of scheduled flights (%)", {ticksuffix: " %", range: [0, 100]})}),
      sentence: CARRIER_ORDER_NOTE + extreme(groups, (g) => carrierLabel[g.key],
        (g) => rate(g.onTime, g.scheduled), (g) => g.scheduled, (g) => g.onTime,
        "scheduled flight", "the best on-time rate"),
      coverage: coverage(groups.reduce((s, g) => s + g.scheduled, 0), "scheduled flight"),
      table: {columns: ["Carrier", "Flights scheduled", "On time", "Arrived 15+ min late", "Cancelled", "Diverted", "On time (%)", "Small sample"],
        rows: groups.map((g) => [carrierLabel[g.key], g.scheduled, g.onTime, g.arrivedLate,
          g.cancelled, g.diverted, round2(rate(g.onTime, g.scheduled)), isSmall(g.scheduled) ? "yes" : "no"])},
    };
  }

  const routeFields = ["operated", "delayed", "scheduled", "onTime", "delayedWithArr",
                       "sumDepOfDelayed", "sumArrOfDelayed"];
  const routeLabel = (key) => { const [o, d] = key.split(">"); return P.airports.label[o] + " → " + P.airports.label[d]; };
  const routeShort = (key) => { const [o, d] = key.split(">"); return P.airports.short[o] + " → " + P.airports.short[d]; };

  function routes() {
    const groups = group(P.routeMonths, monthRows(P.routeMonths),
      (i) => P.routeMonths.origin[i] + ">" + P.routeMonths.dest[i], routeFields);
    const shown = ranked(groups, TOP, (g) => g.operated, (g) => rate(g.delayed, g.operated));
    const flights = shown.map((g) => g.operated);
    const labels = shown.map((g, i) => (i + 1) + ". " + routeShort(g.key));
    const total = Array.from(groups.values()).reduce((s, g) => s + g.operated, 0);
    return {
      traces: [{type: "bar", orientation: "h", y: labels, name: "Delay rate",
        x: shown.map((g) => rate(g.delayed, g.operated)),
        marker: Object.assign({color: COLORS.delayed}, markers(flights)),
        customdata: shown.map((g) => [g.delayed, g.operated, routeLabel(g.key)]),
        text: shown.map((g) => pct(rate(g.delayed, g.operated)) + ": " + num(g.delayed) + " of " + num(g.operated)),
        textposition: "inside", insidetextanchor: "end",
        hovertemplate: "%{customdata[2]}: %{x:.1f} % delayed (%{customdata[0]:,} of " +
          "%{customdata[1]:,} operated flights)<extra></extra>"}].concat(smallLegend(flights, true)),
      layout: layout(barHeight(shown.length), {
        yaxis: axis("Route (rank)", {autorange: "reversed", type: "category"}),
        xaxis: axis("Delay rate (% of operated)", {ticksuffix: " %", rangemode: "tozero"})}),
      sentence: " Ranked: the routes with " + MIN + " operated flights or more (the dbt var " +
        "min_sample_flights), highest delay rate first; smaller routes only fill the list, " +
        "marked, busiest first." + extreme(shown, (g) => routeLabel(g.key),
        (g) => rate(g.delayed, g.operated), (g) => g.operated, (g) => g.delayed,
        "operated flight", "the most delay-prone route"),
      coverage: coverage(total, "operated flight"),
      table: {columns: ["Rank", "Route", "Flights operated", "Flights delayed", "Delay rate (%)", "Small sample"],
        rows: shown.map((g, i) => [i + 1, routeLabel(g.key), g.operated, g.delayed,
          round2(rate(g.delayed, g.operated)), isSmall(g.operated) ? "yes" : "no"])},
    };
  }

  function airports(side, title) {
    return () => {
      const groups = group(P.routeMonths, monthRows(P.routeMonths), (i) => P.routeMonths[side][i],
                           ["operated", "delayed", "scheduled", "onTime"]);
      const shown = ranked(groups, 20, (g) => g.operated, (g) => rate(g.delayed, g.operated));
      const flights = shown.map((g) => g.operated);
      const labels = shown.map((g) => P.airports.label[g.key]);
      const total = Array.from(groups.values()).reduce((s, g) => s + g.operated, 0);
      return {
        traces: [
          {type: "bar", orientation: "h", y: labels, name: "Delay rate (% of operated flights)",
           x: shown.map((g) => rate(g.delayed, g.operated)),
           marker: Object.assign({color: COLORS.delayed}, markers(flights)),
           customdata: shown.map((g) => [g.delayed, g.operated, P.airports.id[g.key]]),
           hovertemplate: "%{y}: %{x:.1f} % delayed (%{customdata[0]:,} of %{customdata[1]:,} " +
             "operated flights)<extra></extra>"},
          {type: "bar", orientation: "h", y: labels, name: "On time (% of scheduled flights)",
           x: shown.map((g) => rate(g.onTime, g.scheduled)),
           marker: Object.assign({color: COLORS.onTime}, markers(flights)),
           customdata: shown.map((g) => [g.onTime, g.scheduled]),
           hovertemplate: "%{y}: %{x:.1f} % on time (%{customdata[0]:,} of %{customdata[1]:,} " +
             "scheduled flights)<extra></extra>"}].concat(smallLegend(flights, true)),
        layout: layout(Math.max(360, 170 + 44 * shown.length), {barmode: "group",
          yaxis: axis(title, {autorange: "reversed", type: "category"}),
          xaxis: axis("Share of flights (%)", {ticksuffix: " %", range: [0, 100]})}),
        sentence: " The 20 airports with the highest delay rate among those with " + MIN +
          " operated flights or more." + extreme(shown, (g) => P.airports.label[g.key],
          (g) => rate(g.delayed, g.operated), (g) => g.operated, (g) => g.delayed,
          "operated flight", "the highest delay rate"),
        coverage: coverage(total, "operated flight"),
        table: {columns: ["Airport", "Flights operated", "Flights delayed", "Delay rate (%)", "Flights scheduled", "On time", "On time (%)", "Small sample"],
          rows: shown.map((g) => [P.airports.label[g.key], g.operated, g.delayed,
            round2(rate(g.delayed, g.operated)), g.scheduled, g.onTime,
            round2(rate(g.onTime, g.scheduled)), isSmall(g.operated) ? "yes" : "no"])},
      };
    };
  }

  function originStates() {
    const groups = group(P.routeMonths, monthRows(P.routeMonths),
      (i) => P.airports.state[P.routeMonths.origin[i]] || "(no state)", ["operated", "delayed"]);
    const shown = ranked(groups, groups.size, (g) => g.operated, (g) => rate(g.delayed, g.operated));
    const flights = shown.map((g) => g.operated);
    return {
      traces: [{type: "bar", x: shown.map((g) => g.key), y: shown.map((g) => rate(g.delayed, g.operated)),
        name: "Delay rate", marker: Object.assign({color: COLORS.delayed}, markers(flights)),
        customdata: shown.map((g) => [g.delayed, g.operated]),
        hovertemplate: "%{x}: %{y:.1f} % delayed (%{customdata[0]:,} of %{customdata[1]:,} " +
          "operated flights)<extra></extra>"}].concat(smallLegend(flights, false)),
      layout: layout(420, {xaxis: axis("Origin state", {type: "category"}),
        yaxis: axis("Delay rate (% of operated)", {ticksuffix: " %", rangemode: "tozero"})}),
      sentence: extreme(shown, (g) => g.key, (g) => rate(g.delayed, g.operated),
        (g) => g.operated, (g) => g.delayed, "operated flight", "the highest delay rate"),
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "operated flight"),
      table: {columns: ["Origin state", "Flights operated", "Flights delayed", "Delay rate (%)", "Small sample"],
        rows: shown.map((g) => [g.key, g.operated, g.delayed, round2(rate(g.delayed, g.operated)),
                                isSmall(g.operated) ? "yes" : "no"])},
    };
  }

  function dailyTrend() {
    const groups = Array.from(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.day[i],
      ["scheduled", "operated", "delayed"]).values()).sort((a, b) => a.key - b.key);
    const dates = groups.map((g) => P.days[g.key]);
    const flights = groups.map((g) => g.operated);
    const rates = groups.map((g) => rate(g.delayed, g.operated));
    const found = sources(groups.map((g) => g.key));
    const change = found.bts.length && found.daily.length
      ? " The flights per day change where the sources change: BTS monthly files cover " +
        spans(found.bts) + ", daily files " + spans(found.daily) + "." : "";
    return {
      traces: [
        {type: "bar", x: dates, y: flights, name: "Flights operated", marker: {color: COLORS.operated},
         hovertemplate: "%{x|%a %d %b %Y}: %{y:,} flights operated<extra></extra>"},
        {type: "bar", x: dates, y: groups.map((g) => g.delayed), name: "Flights delayed",
         marker: {color: COLORS.delayed},
         hovertemplate: "%{x|%a %d %b %Y}: %{y:,} flights delayed<extra></extra>"},
        {type: "scatter", mode: "lines+markers", x: dates, y: rates, yaxis: "y2", name: "Delay rate",
         line: {color: COLORS.rate, width: 2},
         marker: {color: COLORS.rate, symbol: flights.map((f) => (isSmall(f) ? "circle-open" : "circle")),
                  opacity: flights.map((f) => (isSmall(f) ? SMALL_OPACITY : 1))},
         customdata: groups.map((g) => [g.delayed, g.operated]),
         hovertemplate: "%{x|%a %d %b %Y}: %{y:.1f} % delayed (%{customdata[0]:,} of " +
           "%{customdata[1]:,} operated flights)<extra></extra>"}],
      layout: layout(440, {barmode: "overlay",
        xaxis: axis("Flight date", {tickformat: "%d %b"}),
        yaxis: axis("Flights", {tickformat: ",", rangemode: "tozero"}),
        yaxis2: axis("Delay rate (%)", {overlaying: "y", side: "right", ticksuffix: " %",
                                        rangemode: "tozero", showgrid: false})}),
      sentence: flights.some(isSmall) ? " Days with fewer than " + MIN + " operated flights " +
        "have a pale, open marker on the delay-rate line (a small sample)." : "",
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "operated flight") + change,
      table: {columns: ["Date", "Flights scheduled", "Flights operated", "Flights delayed", "Delay rate (%)", "Small sample"],
        rows: groups.map((g, i) => [dates[i], g.scheduled, g.operated, g.delayed, round2(rates[i]),
                                    isSmall(g.operated) ? "yes" : "no"])},
    };
  }

  function rateAndOnTime(groups, labelOf, axisTitle, keyTitle) {
    const flights = groups.map((g) => g.operated);
    const labels = groups.map(labelOf);
    return {
      traces: [
        {type: "bar", x: labels, y: groups.map((g) => rate(g.delayed, g.operated)),
         name: "Delay rate (% of operated flights)", marker: Object.assign({color: COLORS.delayed}, markers(flights)),
         customdata: groups.map((g) => [g.delayed, g.operated]),
         hovertemplate: "%{x}: %{y:.1f} % delayed (%{customdata[0]:,} of %{customdata[1]:,} " +
           "operated flights)<extra></extra>"},
        {type: "bar", x: labels, y: groups.map((g) => rate(g.onTime, g.scheduled)),
         name: "On time (% of scheduled flights)", marker: Object.assign({color: COLORS.onTime}, markers(flights)),
         customdata: groups.map((g) => [g.onTime, g.scheduled]),
         hovertemplate: "%{x}: %{y:.1f} % on time (%{customdata[0]:,} of %{customdata[1]:,} " +
           "scheduled flights)<extra></extra>"}].concat(smallLegend(flights, false)),
      layout: layout(400, {barmode: "group", xaxis: axis(axisTitle, {type: "category"}),
        yaxis: axis("Share of flights (%)", {ticksuffix: " %", range: [0, 100]})}),
      table: {columns: [keyTitle, "Flights scheduled", "Flights operated", "Flights delayed", "Delay rate (%)", "On time", "On time (%)", "Small sample"],
        rows: groups.map((g, i) => [labels[i], g.scheduled, g.operated, g.delayed,
          round2(rate(g.delayed, g.operated)), g.onTime, round2(rate(g.onTime, g.scheduled)),
          isSmall(g.operated) ? "yes" : "no"])},
    };
  }
  const timeFields = ["scheduled", "operated", "delayed", "onTime"];

  function byMonth() {
    const groups = Array.from(group(P.dayCarriers, dayRows(), (i) => monthOfDay[P.dayCarriers.day[i]],
      timeFields).values()).sort((a, b) => a.key - b.key);
    return Object.assign(rateAndOnTime(groups, (g) => P.months[g.key], "Month", "Month"), {
      sentence: extreme(groups, (g) => P.months[g.key], (g) => rate(g.delayed, g.operated),
        (g) => g.operated, (g) => g.delayed, "operated flight", "the highest delay rate"),
      coverage: coverage(groups.reduce((s, g) => s + g.operated, 0), "operated flight")});
  }

  function byWeekday() {
    const weekday = (day) => (new Date(P.days[day] + "T00:00:00Z").getUTCDay() + 6) % 7;
    const groups = Array.from(group(P.dayCarriers, dayRows(), (i) => weekday(P.dayCarriers.day[i]),
      timeFields).values()).sort((a, b) => a.key - b.key);
    return Object.assign(rateAndOnTime(groups, (g) => WEEKDAYS[g.key], "Day of the week", "Weekday"), {
      sentence: extreme(groups, (g) => WEEKDAYS[g.key], (g) => rate(g.delayed, g.operated),
        (g) => g.operated, (g) => g.delayed, "operated flight", "the highest delay rate"),
      coverage: coverage(groups.reduce((s, g) => s + g.operated, 0), "operated flight")});
  }

  function byHour() {
    if (!P.hasHourAggregate) {
      return {empty: "Not built yet: this warehouse was built before " +
        "intermediate.int_flight_delays_by_hour_daily existed. The next run, or airline-elt transform, builds it."};
    }
    const groups = Array.from(group(P.hourMonths, monthRows(P.hourMonths, P.hasHourCarrier),
      (i) => P.hourMonths.hour[i], ["scheduled", "operated", "delayed", "onTime", "cancelled"]).values())
      .sort((a, b) => a.key - b.key);
    if (!groups.length) {
      return {empty: "No scheduled departure times: no file with the BTS column CRSDepTime has " +
        "landed in the months chosen (the daily files carry none)."};
    }
    const flights = groups.map((g) => g.operated);
    const hour = (h) => String(h).padStart(2, "0") + ":00-" + String(h).padStart(2, "0") + ":59";
    return {
      traces: [{type: "bar", x: groups.map((g) => g.key), y: groups.map((g) => rate(g.delayed, g.operated)),
        name: "Delay rate", marker: Object.assign({color: COLORS.delayed}, markers(flights)),
        customdata: groups.map((g) => [hour(g.key), g.operated, g.delayed, g.cancelled]),
        hovertemplate: "%{customdata[0]}: %{y:.1f} % delayed (%{customdata[2]:,} of " +
          "%{customdata[1]:,} operated flights); %{customdata[3]:,} cancelled<extra></extra>"}]
        .concat(smallLegend(flights, false)),
      layout: layout(400, {xaxis: axis("Scheduled departure hour (local time)", {
        tickvals: Array.from({length: 24}, (_, h) => h),
        ticktext: Array.from({length: 24}, (_, h) => String(h).padStart(2, "0")), range: [-0.5, 23.5]}),
        yaxis: axis("Delay rate (% of operated)", {ticksuffix: " %", rangemode: "tozero"})}),
      sentence: extreme(groups, (g) => hour(g.key), (g) => rate(g.delayed, g.operated),
        (g) => g.operated, (g) => g.delayed, "operated flight", "the worst hour"),
      coverage: coverage(groups.reduce((s, g) => s + g.scheduled, 0), "scheduled flight",
                         "scheduled departure times", P.hasHourCarrier),
      table: {columns: ["Hour", "Flights scheduled", "Flights operated", "Flights delayed", "Delay rate (%)", "Cancelled", "Small sample"],
        rows: groups.map((g) => [g.key, g.scheduled, g.operated, g.delayed,
          round2(rate(g.delayed, g.operated)), g.cancelled, isSmall(g.operated) ? "yes" : "no"])},
    };
  }

  const causeFields = ["withCauses"].concat(P.causeNames.map((_, c) => "causeMinutes" + c),
                                            P.causeNames.map((_, c) => "causeFlights" + c));
  const NO_CAUSES = "No cause data: no file with BTS cause columns has landed in the months " +
    "and carriers chosen. The daily files carry seven columns; a BTS on-time monthly file " +
    "(June 2003 on) adds CarrierDelay, WeatherDelay, NASDelay, SecurityDelay and LateAircraftDelay.";

  function causeMinutes(groups, labelOf, axisTitle, keyTitle) {
    const labels = groups.map(labelOf);
    const flights = groups.map((g) => g.withCauses);
    const minutes = (g) => P.causeNames.reduce((s, _, c) => s + g["causeMinutes" + c], 0);
    return {
      traces: P.causeNames.map((name, c) => ({
        type: "bar", orientation: "h", y: labels, name: name,
        x: groups.map((g) => rate(g["causeMinutes" + c], minutes(g)) || 0),
        marker: Object.assign({color: CAUSE_COLORS[c]}, markers(flights)),
        customdata: groups.map((g) => [g["causeMinutes" + c], minutes(g), g.withCauses]),
        hovertemplate: "%{y}: " + name.toLowerCase() + " %{x:.1f} % of the cause minutes " +
          "(%{customdata[0]:,} of %{customdata[1]:,} minutes; %{customdata[2]:,} flights with " +
          "cause data)<extra></extra>"})).concat(smallLegend(flights, true)),
      layout: layout(barHeight(groups.length) + 40, {barmode: "stack",
        yaxis: axis(axisTitle, {autorange: "reversed", type: "category"}),
        xaxis: axis("Share of cause minutes (%)", {ticksuffix: " %", range: [0, 100]})}),
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "flight with cause data", "cause columns"),
      table: {columns: [keyTitle, "Flights with cause data", "Cause minutes"].concat(
          P.causeNames.map((n) => n + " (minutes)"), P.causeNames.map((n) => n + " (%)")),
        rows: groups.map((g, i) => [labels[i], g.withCauses, minutes(g)].concat(
          P.causeNames.map((_, c) => g["causeMinutes" + c]),
          P.causeNames.map((_, c) => round2(rate(g["causeMinutes" + c], minutes(g))))))},
    };
  }

  function causesByCarrier() {
    const groups = inCarrierOrder(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.carrier[i],
      causeFields)).filter((g) => g.withCauses > 0);
    if (!groups.length) { return {empty: NO_CAUSES}; }
    return Object.assign(causeMinutes(groups, (g) => carrierLabel[g.key], "Carrier", "Carrier"),
                         {sentence: CARRIER_ORDER_NOTE});
  }

  function causeFlightsByCarrier() {
    if (!P.hasCauseFlights) {
      return {empty: "Not built yet: this warehouse's intermediate.int_flight_delays_daily has " +
        "no flights per cause (flights_with_carrier_delay, ...). The next run, or airline-elt transform, builds them."};
    }
    const groups = inCarrierOrder(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.carrier[i],
      causeFields)).filter((g) => g.withCauses > 0);
    if (!groups.length) { return {empty: NO_CAUSES}; }
    const labels = groups.map((g) => carrierLabel[g.key]);
    const flights = groups.map((g) => g.withCauses);
    return {
      traces: P.causeNames.map((name, c) => ({
        type: "bar", orientation: "h", y: labels, name: name,
        x: groups.map((g) => rate(g["causeFlights" + c], g.withCauses)),
        marker: Object.assign({color: CAUSE_COLORS[c]}, markers(flights)),
        customdata: groups.map((g) => [g["causeFlights" + c], g.withCauses]),
        hovertemplate: "%{y}: %{x:.1f} % of the flights with cause data had " + name.toLowerCase() +
          " delay (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>"})).concat(smallLegend(flights, true)),
      layout: layout(Math.max(380, 170 + 90 * groups.length), {barmode: "group",
        yaxis: axis("Carrier", {autorange: "reversed", type: "category"}),
        xaxis: axis("Flights with the cause (%)",
                    {ticksuffix: " %", range: [0, 100]})}),
      sentence: CARRIER_ORDER_NOTE + " A flight can have minutes of several causes, so the " +
        "shares of a carrier add up to 100 % or more.",
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "flight with cause data", "cause columns"),
      table: {columns: ["Carrier", "Flights with cause data"].concat(P.causeNames.map((n) => n + " (flights)"),
                                                                     P.causeNames.map((n) => n + " (%)")),
        rows: groups.map((g, i) => [labels[i], g.withCauses].concat(
          P.causeNames.map((_, c) => g["causeFlights" + c]),
          P.causeNames.map((_, c) => round2(rate(g["causeFlights" + c], g.withCauses)))))},
    };
  }

  function causesByAirport() {
    const all = Array.from(group(P.originCauses, monthRows(P.originCauses), (i) => P.originCauses.origin[i],
      causeFields).values());
    if (!all.length) { return {empty: NO_CAUSES}; }
    const minutes = (g) => P.causeNames.reduce((s, _, c) => s + g["causeMinutes" + c], 0);
    const groups = all.sort((a, b) => (minutes(b) - minutes(a)) || (b.withCauses - a.withCauses) || (a.key - b.key))
      .slice(0, TOP);
    return Object.assign(causeMinutes(groups, (g) => P.airports.label[g.key],
      "Origin airport (most cause minutes first)", "Origin airport"), {
      sentence: " The " + groups.length + " of " + all.length + " origin airports with the most delay minutes with a cause."});
  }

  function cancellations() {
    const fields = ["scheduled", "cancelled"].concat(P.cancellationReasons.map((_, r) => "cancelled" + r));
    const groups = inCarrierOrder(group(P.dayCarriers, dayRows(), (i) => P.dayCarriers.carrier[i], fields))
      .filter((g) => g.cancelled > 0);
    if (!groups.length) { return {empty: "No cancelled flights in the months and carriers chosen."}; }
    const labels = groups.map((g) => carrierLabel[g.key]);
    const cancelled = groups.reduce((s, g) => s + g.cancelled, 0);
    const noCode = P.cancellationReasons.length - 1;
    const withReason = cancelled - groups.reduce((s, g) => s + g["cancelled" + noCode], 0);
    return {
      traces: P.cancellationReasons.map((name, r) => ({
        type: "bar", orientation: "h", y: labels, x: groups.map((g) => g["cancelled" + r]), name: name,
        marker: {color: REASON_COLORS[r]}, customdata: groups.map((g) => [rate(g["cancelled" + r], g.scheduled), g.scheduled]),
        hovertemplate: "%{y}: %{x:,} flights cancelled (" + name.toLowerCase() + "), %{customdata[0]:.1f} % " +
          "of %{customdata[1]:,} scheduled flights<extra></extra>"}))
        .filter((trace) => trace.x.some((count) => count > 0)),
      layout: layout(barHeight(groups.length), {barmode: "stack",
        yaxis: axis("Carrier", {autorange: "reversed", type: "category"}),
        xaxis: axis("Cancelled flights", {tickformat: ",", rangemode: "tozero"})}),
      sentence: CARRIER_ORDER_NOTE + " " + plural(cancelled, "cancelled flight") + ", " + num(withReason) +
        " of them with a reason." + (withReason ? "" : " No file with BTS cancellation codes " +
        "(CancellationCode) has landed: the daily files say that a flight was cancelled (it has no delays), not why."),
      coverage: coverage(cancelled, "cancelled flight") + " Reasons come from the BTS monthly " +
        "files' CancellationCode; the daily files have none: their cancellations are \"Not given\".",
      table: {columns: ["Carrier", "Flights scheduled", "Cancelled"].concat(P.cancellationReasons),
        rows: groups.map((g, i) => [labels[i], g.scheduled, g.cancelled].concat(
          P.cancellationReasons.map((_, r) => g["cancelled" + r])))},
    };
  }

  function depVsArr() {
    const groups = Array.from(group(P.routeMonths, monthRows(P.routeMonths),
      (i) => P.routeMonths.origin[i] + ">" + P.routeMonths.dest[i], routeFields).values())
      .filter((g) => g.delayed > 0 && g.delayedWithArr > 0)
      .sort((a, b) => (b.delayed - a.delayed) || (a.key < b.key ? -1 : 1)).slice(0, 300);
    if (!groups.length) { return {empty: "No delayed flights in the months and carriers chosen."}; }
    const dep = groups.map((g) => g.sumDepOfDelayed / g.delayed);
    const arr = groups.map((g) => g.sumArrOfDelayed / g.delayedWithArr);
    const top = Math.max(1, ...dep, ...arr) * 1.05;
    const flights = groups.map((g) => g.delayed);
    return {
      traces: [
        {type: "scatter", mode: "lines", x: [0, top], y: [0, top], name: "arrival = departure delay",
         line: {color: COLORS.operated, dash: "dash"}, hoverinfo: "skip"},
        {type: "scatter", mode: "markers", x: dep, y: arr, name: "a route (size: its delayed flights)",
         text: groups.map((g) => routeLabel(g.key)), customdata: flights,
         marker: {color: COLORS.delayed, line: {color: COLORS.rate, width: 1},
                  opacity: flights.map((f) => (isSmall(f) ? SMALL_OPACITY : 0.75)),
                  size: flights.map((f) => 8 + 22 * Math.sqrt(f / Math.max(...flights)))},
         hovertemplate: "%{text}<br>%{customdata:,} delayed flights: departed %{x:.1f} min, " +
           "arrived %{y:.1f} min late on average<extra></extra>"}],
      layout: layout(480, {xaxis: axis("Departure delay of delayed flights (avg min)", {range: [0, top]}),
        yaxis: axis("Arrival delay (avg min)", {range: [0, top]})}),
      sentence: " Routes with fewer than " + MIN + " delayed flights are pale.",
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "delayed flight"),
      table: {columns: ["Route", "Flights delayed", "Average departure delay (min)", "Average arrival delay (min)"],
        rows: groups.map((g, i) => [routeLabel(g.key), g.delayed, round2(dep[i]), round2(arr[i])])},
    };
  }

  function pearson(g) {
    const n = g.pairedFlights;
    const sx = g.pairedSumDep; const sy = g.pairedSumArr;
    const vx = n * g.pairedSumDep2 - sx * sx; const vy = n * g.pairedSumArr2 - sy * sy;
    return n > 1 && vx > 0 && vy > 0 ? (n * g.pairedSumProduct - sx * sy) / Math.sqrt(vx * vy) : null;
  }

  function correlation() {
    const fields = ["pairedFlights", "pairedSumDep", "pairedSumArr", "pairedSumDep2", "pairedSumArr2", "pairedSumProduct"];
    const rows = dayRows();
    const groups = inCarrierOrder(group(P.dayCarriers, rows, (i) => P.dayCarriers.carrier[i], fields))
      .filter((g) => pearson(g) !== null);
    if (!groups.length) { return {empty: "No flights with both delays in the months and carriers chosen."}; }
    const overall = pearson(Array.from(group(P.dayCarriers, rows, () => 0, fields).values())[0]);
    const flights = groups.map((g) => g.pairedFlights);
    return {
      traces: [{type: "scatter", mode: "markers", y: groups.map((g) => carrierLabel[g.key]),
        x: groups.map(pearson), name: "a carrier",
        marker: {color: COLORS.rate, size: 12, opacity: flights.map((f) => (isSmall(f) ? SMALL_OPACITY : 1)),
                 symbol: flights.map((f) => (isSmall(f) ? "circle-open" : "circle"))},
        customdata: flights,
        hovertemplate: "%{y}: r = %{x:.3f} over %{customdata:,} flights with both delays<extra></extra>"}],
      layout: layout(barHeight(groups.length), {
        yaxis: axis("Carrier", {autorange: "reversed", type: "category"}),
        xaxis: axis("Correlation r (-1 to 1)", {range: [-1.05, 1.05], zeroline: true}),
        shapes: overall === null ? [] : [{type: "line", xref: "x", yref: "paper", x0: overall, x1: overall,
          y0: 0, y1: 1, line: {color: COLORS.delayed, dash: "dash"}}]}),
      sentence: CARRIER_ORDER_NOTE + " The axis runs from -1 to 1, so that small differences look small." +
        (overall === null ? "" : " All carriers chosen: r = " + overall.toFixed(3) + " (dashed line).") +
        (flights.some(isSmall) ? " Carriers with fewer than " + MIN + " flights with both delays: pale, open." : ""),
      coverage: coverage(flights.reduce((s, f) => s + f, 0), "flight with both delays"),
      table: {columns: ["Carrier", "Flights with both delays", "Correlation (r)"],
        rows: groups.map((g) => [carrierLabel[g.key], g.pairedFlights, Math.round(pearson(g) * 1000) / 1000])},
    };
  }

  const CHARTS = {
    "carriers": carriers, "on-time": onTime, "routes": routes,
    "origin-airports": airports("origin", "Origin airport"),
    "dest-airports": airports("dest", "Destination airport"),
    "origin-states": originStates, "daily-trend": dailyTrend, "by-month": byMonth,
    "by-weekday": byWeekday, "by-hour": byHour, "causes-by-carrier": causesByCarrier,
    "cause-flights-by-carrier": causeFlightsByCarrier, "causes-by-airport": causesByAirport,
    "cancellations": cancellations, "dep-vs-arr": depVsArr, "correlation": correlation,
  };

  // -- drawing -------------------------------------------------------------------------------
  const csvCell = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  };
  const csv = (table) => [table.columns].concat(table.rows)
    .map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";

  function drawTable(holder, table) {
    const element = document.createElement("table");
    const head = element.createTHead().insertRow();
    table.columns.forEach((name) => { const th = document.createElement("th"); th.textContent = name; head.appendChild(th); });
    const body = element.createTBody();
    table.rows.forEach((row) => {
      const tr = body.insertRow();
      row.forEach((value) => {
        const td = tr.insertCell();
        if (typeof value === "number") { td.className = "n"; td.textContent = num(value); }
        else { td.textContent = value === null ? "" : value; }
      });
    });
    holder.replaceChildren(element);
  }

  let csvUrls = {};
  function draw(id) {
    const chart = CHARTS[id]();
    const holder = document.getElementById("holder-" + id);
    const section = document.getElementById("section-" + id);
    const old = document.getElementById(id);
    if (chart.empty) {
      if (old && old.classList.contains("js-plotly-plot")) { Plotly.purge(old); }
      const empty = document.createElement("p");
      empty.className = "empty"; empty.id = id; empty.textContent = chart.empty;
      holder.replaceChildren(empty);
      section.querySelector(".coverage").textContent = "";
      section.querySelector(".sentence").textContent = "";
      section.querySelector(".numbers").hidden = true;
      return;
    }
    let div = old;
    if (!div || div.tagName !== "DIV") {
      div = document.createElement("div");
      div.id = id; div.className = "plotly-graph-div";
      holder.replaceChildren(div);
    }
    Plotly.react(div, chart.traces, chart.layout, CONFIG);
    section.querySelector(".coverage").textContent = chart.coverage;
    section.querySelector(".sentence").textContent = (chart.sentence || "").trim();
    const numbers = section.querySelector(".numbers");
    numbers.hidden = false;
    drawTable(numbers.querySelector(".table"), chart.table);
    const link = numbers.querySelector("a.csv");
    if (csvUrls[id]) { URL.revokeObjectURL(csvUrls[id]); }
    csvUrls[id] = URL.createObjectURL(new Blob([csv(chart.table)], {type: "text/csv"}));
    link.href = csvUrls[id];
  }

  function drawKpis() {
    const sums = Array.from(group(P.dayCarriers, dayRows(), () => 0,
      ["scheduled", "operated", "delayed", "onTime"]).values())[0] ||
      {scheduled: 0, operated: 0, delayed: 0, onTime: 0};
    document.getElementById("kpi-operated").textContent = num(sums.operated);
    document.getElementById("kpi-scheduled").textContent = num(sums.scheduled);
    document.getElementById("kpi-delayed").textContent = num(sums.delayed);
    document.getElementById("kpi-delay-rate").textContent = pct(rate(sums.delayed, sums.operated));
    document.getElementById("kpi-on-time").textContent = pct(rate(sums.onTime, sums.scheduled));
    document.getElementById("filter-summary").textContent = "Showing " + P.months[state.from] +
      " to " + P.months[state.to] + ", " + (state.carriers.size === P.carriers.code.length
        ? "all carriers" : Array.from(state.carriers).sort((a, b) => a - b).map((c) => P.carriers.code[c]).join(", ")) + ".";
  }

  function drawAll() {
    drawKpis();
    Object.keys(CHARTS).forEach(draw);
  }

  // -- the filters ---------------------------------------------------------------------------
  const fromMonth = document.getElementById("from-month");
  const toMonth = document.getElementById("to-month");
  const carrierFilter = document.getElementById("carrier-filter");
  P.months.forEach((month) => { fromMonth.add(new Option(month, month)); toMonth.add(new Option(month, month)); });
  fromMonth.selectedIndex = 0; toMonth.selectedIndex = P.months.length - 1;
  P.carriers.code.forEach((code, i) => carrierFilter.add(new Option(carrierLabel[i], code, true, true)));
  carrierFilter.size = Math.min(8, Math.max(2, P.carriers.code.length));
  function readFilters() {
    let from = fromMonth.selectedIndex; let to = toMonth.selectedIndex;
    if (from > to) { [from, to] = [to, from]; fromMonth.selectedIndex = from; toMonth.selectedIndex = to; }
    state.from = from; state.to = to;
    const chosen = Array.from(carrierFilter.selectedOptions, (option) => option.index);
    state.carriers = new Set(chosen.length ? chosen : P.carriers.code.map((_, i) => i));
    drawAll();
  }
  [fromMonth, toMonth, carrierFilter].forEach((element) => element.addEventListener("change", readFilters));
  document.getElementById("all-carriers").addEventListener("click", () => {
    Array.from(carrierFilter.options).forEach((option) => { option.selected = true; });
    readFilters();
  });
  drawAll();
  document.querySelector("main").removeAttribute("data-drawing");
}).catch((error) => {
  const main = document.querySelector("main");
  main.removeAttribute("data-drawing");
  const problem = document.createElement("p");
  problem.className = "failed-build"; problem.id = "payload-error";
  problem.textContent = "This browser could not unpack the report's data (" + error +
    "): open it in a current Chrome, Edge, Firefox or Safari.";
  main.prepend(problem);
});
